// The microphone page: capture the microphone, turn it into 16 kHz PCM (pcm-worklet.js),
// stream it to /ws/asr, and show what the server hears. The protocol is in docs/SERVICE.md.

const READY_TIMEOUT_MS = 10000; // the server says `ready` as it accepts: silence means unreachable
const FINISH_TIMEOUT_MS = 15000; // after Stop, the server sends the last final and closes
const START = { type: "start", sample_rate: 16000, encoding: "pcm_s16le", language: "auto" };

// What the page says when something goes wrong: what happened, then what to do.
const SAY = {
  insecure:
    "This browser allows the microphone only on https:// pages and on localhost. " +
    "Open the page over https and try again.",
  denied:
    "The microphone is blocked for this page. Allow it in the browser's site settings, " +
    "then press Start again.",
  noMicrophone: "No microphone was found. Connect one, then press Start again.",
  micInUse:
    "The microphone could not be opened; another program may be using it. " +
    "Close that program, then press Start again.",
  unreachable: "The server could not be reached. Check that it is running, then press Start again.",
  busy: "The server is busy: it is serving as many people as it can. Try again in a minute.",
  restarting: "The server restarted and closed the connection. Press Start again in a moment.",
  dropped: "The connection to the server was lost mid-stream. Press Start to begin again.",
  ended: "The server ended the session. Press Start to begin again.",
  slowFinish: "The server did not finish in time, so the last words may be missing.",
};

const $ = (id) => document.getElementById(id);
const app = $("app");
const startButton = $("start");
const stopButton = $("stop");
const statusLine = $("status");
const meter = $("level");
const finals = $("finals");
const partial = $("partial");

let current = null; // the running session: its microphone, audio graph and socket

function show(state, sentence) {
  app.dataset.state = state;
  statusLine.textContent = sentence;
  statusLine.classList.toggle("problem", state === "failed");
  startButton.disabled = !["idle", "failed"].includes(state);
  stopButton.disabled = state !== "listening";
}

function microphoneProblem(error) {
  switch (error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return SAY.denied;
    case "NotFoundError":
    case "OverconstrainedError":
      return SAY.noMicrophone;
    case "NotReadableError":
    case "AbortError":
      return SAY.micInUse;
    default:
      return `The microphone could not be opened: ${error.message}`;
  }
}

async function start() {
  show("starting", "Asking for the microphone…");
  if (!navigator.mediaDevices?.getUserMedia) return show("failed", SAY.insecure);
  let stream;
  try {
    // The recogniser wants the voice as spoken: the browser's call processing changes it.
    const off = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, ...off } });
  } catch (error) {
    return show("failed", microphoneProblem(error));
  }
  const run = {
    stream,
    context: null,
    socket: null,
    queue: [], // audio captured before the server is ready
    timer: 0,
    ready: false,
    stopping: false,
    problem: null, // what the server's error message said, to show when it closes
  };
  current = run;
  show("connecting", "Connecting to the server…");
  try {
    run.context = new AudioContext();
    await run.context.audioWorklet.addModule(new URL("pcm-worklet.js", import.meta.url));
    const encoder = new AudioWorkletNode(run.context, "pcm-encoder");
    encoder.port.onmessage = (event) => onFrame(run, event.data);
    run.context.createMediaStreamSource(stream).connect(encoder).connect(run.context.destination);
    await run.context.resume();
  } catch (error) {
    // AbortError: the worklet's script did not load, so the server is gone.
    if (error.name === "AbortError") return finish(run, SAY.unreachable);
    return finish(run, `This browser could not process the microphone's audio: ${error.message}`);
  }
  connect(run);
}

function connect(run) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/ws/asr`);
  socket.binaryType = "arraybuffer";
  run.socket = socket;
  run.timer = setTimeout(() => finish(run, SAY.unreachable), READY_TIMEOUT_MS);
  socket.onmessage = (event) => onMessage(run, JSON.parse(event.data));
  socket.onclose = (event) => finish(run, closeProblem(run, event.code));
  // A failed socket fires `error` before its close (1006); a socket that the browser refuses
  // (a Content-Security-Policy or mixed content) fires only `error`.
  socket.onerror = () => finish(run, closeProblem(run, 1006));
}

function onMessage(run, message) {
  if (message.type === "ready") {
    clearTimeout(run.timer);
    run.ready = true;
    run.socket.send(JSON.stringify(START));
    for (const pcm of run.queue.splice(0)) run.socket.send(pcm); // audio from before `ready`
    show("listening", "Listening. Speak, then press Stop when you are done.");
  } else if (message.type === "partial") {
    partial.textContent = message.text;
  } else if (message.type === "final") {
    partial.textContent = "";
    if (message.text.trim()) {
      finals.appendChild(document.createElement("li")).textContent = message.text;
    }
  } else if (message.type === "error") {
    const said = message.message.replace(/\.?$/, ".");
    const known = { busy: SAY.busy, shutting_down: SAY.restarting };
    run.problem = known[message.code] || `The server ended the session: ${said}`;
  }
}

function onFrame(run, { pcm, level }) {
  if (run !== current || run.stopping) return;
  // RMS on a decibel scale: -60 dBFS (a quiet room) shows empty, 0 dBFS full.
  meter.value = Math.max(0, Math.min(1, 1 + (20 * Math.log10(level || 1e-9)) / 60));
  if (!run.ready) run.queue.push(pcm);
  else if (run.socket.readyState === WebSocket.OPEN) run.socket.send(pcm);
}

function stop() {
  const run = current;
  if (!run || run.stopping) return;
  run.stopping = true;
  releaseAudio(run);
  show("finishing", "Finishing the last sentence…");
  if (run.socket.readyState === WebSocket.OPEN) run.socket.send(JSON.stringify({ type: "stop" }));
  run.timer = setTimeout(() => finish(run, SAY.slowFinish), FINISH_TIMEOUT_MS);
}

function closeProblem(run, code) {
  if (run.problem) return run.problem;
  if (code === 1013) return SAY.busy;
  if (!run.ready) return SAY.unreachable;
  if (code === 1000) return run.stopping ? null : SAY.ended;
  if (code === 1012) return SAY.restarting; // a restart: the finals came first (shutting_down)
  return SAY.dropped;
}

function releaseAudio(run) {
  run.stream.getTracks().forEach((track) => track.stop());
  run.context?.close().catch(() => {});
  run.context = null;
  meter.value = 0;
}

function finish(run, problem) {
  if (run !== current) return;
  current = null;
  clearTimeout(run.timer);
  releaseAudio(run);
  if (run.socket && run.socket.readyState !== WebSocket.CLOSED) run.socket.close();
  partial.textContent = "";
  if (problem) show("failed", problem);
  else show("idle", "Done. Press Start to speak again.");
}

startButton.addEventListener("click", () => {
  start().catch((error) => {
    if (current) finish(current, `Something went wrong: ${error.message}`);
    else show("failed", `Something went wrong: ${error.message}`);
  });
});
stopButton.addEventListener("click", stop);
