// An AudioWorklet that turns the microphone into 16 kHz mono 16-bit PCM, 100 ms per message.
//
// Browsers capture at the audio device's rate (usually 44.1 or 48 kHz). Each output sample is
// read off the input through a windowed-sinc low-pass filter (cut-off 7 kHz, so nothing above
// the new 8 kHz Nyquist limit folds back into speech), interpolating linearly between the two
// filtered input samples either side of its position. `sampleRate` is the context's rate, a
// global of the AudioWorkletGlobalScope.

const OUT_RATE = 16000;
const FRAME = OUT_RATE / 10;
const CUTOFF_HZ = 7000;
const TRANSITION_HZ = 2000; // the filter falls from pass to stop between 6 and 8 kHz

// Blackman-windowed sinc taps for a low-pass at `cutoff` (a fraction of the input rate),
// normalised to unit gain. Blackman's transition band is about 5.5 / taps of the rate.
function lowPass(cutoff, transition) {
  const count = 2 * Math.ceil(5.5 / transition / 2) + 1;
  const taps = new Float32Array(count);
  const middle = (count - 1) / 2;
  let sum = 0;
  for (let i = 0; i < count; i++) {
    const x = i - middle;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * x) / (Math.PI * x);
    const phase = (2 * Math.PI * i) / (count - 1);
    taps[i] = sinc * (0.42 - 0.5 * Math.cos(phase) + 0.08 * Math.cos(2 * phase));
    sum += taps[i];
  }
  return taps.map((tap) => tap / sum);
}

class PcmEncoder extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / OUT_RATE; // input samples per output sample
    this.taps =
      this.step <= 1 ? new Float32Array([1]) : lowPass(CUTOFF_HZ / sampleRate, TRANSITION_HZ / sampleRate);
    this.half = (this.taps.length - 1) / 2;
    this.input = new Float32Array(this.half); // starts with silence as the filter's history
    this.position = this.half; // where the next output sample falls in `input`
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.energy = 0;
  }

  filtered(at) {
    let sum = 0;
    for (let k = 0; k < this.taps.length; k++) sum += this.taps[k] * this.input[at - this.half + k];
    return sum;
  }

  append(channels) {
    const length = channels[0].length;
    const input = new Float32Array(this.input.length + length);
    input.set(this.input);
    for (const channel of channels) {
      for (let i = 0; i < length; i++) input[this.input.length + i] += channel[i] / channels.length;
    }
    this.input = input;
  }

  process(inputs) {
    const channels = inputs[0];
    if (channels.length === 0) return true; // nothing connected yet
    this.append(channels);
    while (Math.floor(this.position) + 1 + this.half < this.input.length) {
      const at = Math.floor(this.position);
      const fraction = this.position - at;
      const value = (1 - fraction) * this.filtered(at) + fraction * this.filtered(at + 1);
      this.emit(Math.max(-1, Math.min(1, value)));
      this.position += this.step;
    }
    const keep = Math.floor(this.position) - this.half; // older samples are no longer needed
    this.input = this.input.slice(keep);
    this.position -= keep;
    return true;
  }

  emit(value) {
    this.frame[this.filled++] = Math.round(value < 0 ? value * 0x8000 : value * 0x7fff);
    this.energy += value * value;
    if (this.filled < FRAME) return;
    const level = Math.sqrt(this.energy / FRAME);
    this.port.postMessage({ pcm: this.frame.buffer, level }, [this.frame.buffer]);
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor("pcm-encoder", PcmEncoder);
