"""WS /ws/asr against a fake engine: the protocol, every bad input, and its close code."""

from __future__ import annotations

import json
import time

from featherweight.errors import EngineBusyError
from tests.integration.backend.fakes import (
    FakeEngine,
    failing_remote,
    read_until_close,
    silence,
    tone,
)

START = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "language": "auto"}
FRAME = 3200  # 100 ms


def send_audio(ws, pcm: bytes) -> None:
    for at in range(0, len(pcm), FRAME):
        ws.send_bytes(pcm[at : at + FRAME])


def error_and_code(client, *sends, **connect) -> tuple[dict, int]:
    """Open a session, send each item (dict as JSON, str as text, bytes as audio), and return
    the last message before the close, with the close code."""
    with client.websocket_connect("/ws/asr", **connect) as ws:
        assert ws.receive_json()["type"] == "ready"
        for item in sends:
            if isinstance(item, bytes):
                ws.send_bytes(item)
            elif isinstance(item, dict):
                ws.send_json(item)
            else:
                ws.send_text(item)
        messages, code = read_until_close(ws)
    return messages[-1], code


def test_asr_connect_sends_ready_first(make_client):
    client = make_client(max_frame_bytes=6400)
    with client.websocket_connect("/ws/asr") as ws:
        ready = ws.receive_json()
    assert ready == {
        "type": "ready",
        "engine": "fake",
        "sample_rate": 16000,
        "encoding": "pcm_s16le",
        "max_frame_bytes": 6400,
        "max_session_s": 300.0,
    }


def test_asr_utterance_then_stop_sends_final_and_closes_1000(make_client):
    engine = FakeEngine()
    client = make_client(engine)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        ws.send_json(START)
        send_audio(ws, silence(0.3) + tone(1.0) + silence(1.0))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert code == 1000
    assert [m["type"] for m in messages] == ["final"]
    assert messages[0]["utterance"] == 1
    assert messages[0]["text"].startswith("utterance of ")
    assert len(engine.utterances) == 1


def test_asr_two_utterances_give_two_numbered_finals(make_client):
    client = make_client()
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(0.8) + silence(1.0) + tone(0.8) + silence(1.0))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert code == 1000
    assert [(m["type"], m["utterance"]) for m in messages] == [("final", 1), ("final", 2)]


def test_asr_stop_mid_utterance_flushes_final(make_client):
    client = make_client()
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        ws.send_json(START)
        send_audio(ws, tone(1.0))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert (code, [m["type"] for m in messages]) == (1000, ["final"])


def test_asr_silence_only_closes_1000_without_final(make_client):
    client = make_client()
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, silence(1.0))
        ws.send_json({"type": "stop"})
        assert read_until_close(ws) == ([], 1000)


def test_asr_streaming_engine_sends_partials_before_final(make_client):
    client = make_client(FakeEngine(streaming=True))
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(1.0) + silence(1.0))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    kinds = [m["type"] for m in messages]
    assert code == 1000
    assert kinds[0] == "partial" and kinds[-1] == "final" and kinds.count("final") == 1
    assert messages[-1]["text"].startswith("streamed ")


def test_asr_client_leaving_mid_utterance_finishes_the_open_stream(make_client):
    """An engine's stream holds resources (a pocketsphinx decoder): a lost client frees them."""
    engine = FakeEngine(streaming=True)
    client = make_client(engine)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(0.5))
        assert ws.receive_json()["type"] == "partial"
    deadline = time.monotonic() + 5
    while not engine.streams[0].finished and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.streams[0].finished


def test_asr_binary_before_start_uses_defaults(make_client):
    client = make_client()
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(0.5))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert (code, messages[0]["type"]) == (1000, "final")


def test_asr_invalid_json_closes_1007(make_client):
    error, code = error_and_code(make_client(), "{not json")
    assert (error["type"], error["code"], code) == ("error", "invalid_json", 1007)


def test_asr_json_without_type_closes_1007(make_client):
    error, code = error_and_code(make_client(), json.dumps([1, 2]))
    assert (error["code"], code) == ("invalid_message", 1007)


def test_asr_unknown_type_closes_1008(make_client):
    error, code = error_and_code(make_client(), {"type": "pause"})
    assert (error["code"], code) == ("unknown_type", 1008)
    assert "'pause'" in error["message"]


def test_asr_start_wrong_sample_rate_closes_1003(make_client):
    error, code = error_and_code(make_client(), START | {"sample_rate": 44100})
    assert (error["code"], code) == ("unsupported_sample_rate", 1003)
    assert "44100" in error["message"] and "16000" in error["message"]


def test_asr_start_wrong_encoding_closes_1003(make_client):
    error, code = error_and_code(make_client(), START | {"encoding": "opus"})
    assert (error["code"], code) == ("unsupported_encoding", 1003)


def test_asr_start_sample_rate_not_integer_closes_1007(make_client):
    error, code = error_and_code(make_client(), START | {"sample_rate": "16000"})
    assert (error["code"], code) == ("invalid_start", 1007)


def test_asr_start_after_audio_closes_1008(make_client):
    error, code = error_and_code(make_client(), tone(0.1), START)
    assert (error["code"], code) == ("unexpected_start", 1008)


def test_asr_second_start_closes_1008(make_client):
    error, code = error_and_code(make_client(), START, START)
    assert (error["code"], code) == ("unexpected_start", 1008)


def test_asr_odd_byte_count_closes_1007(make_client):
    error, code = error_and_code(make_client(), START, bytes(3201))
    assert (error["code"], code) == ("invalid_audio", 1007)
    assert "3201" in error["message"]


def test_asr_oversized_frame_closes_1009(make_client):
    error, code = error_and_code(make_client(max_frame_bytes=6400), START, bytes(6402))
    assert (error["code"], code) == ("frame_too_large", 1009)
    assert "6402" in error["message"] and "6400" in error["message"]


def test_asr_session_past_length_limit_sends_final_then_closes_1008(make_client):
    client = make_client(max_session_s=1.0)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(1.5))
        messages, code = read_until_close(ws)
    assert code == 1008
    assert [m["type"] for m in messages] == ["final", "error"]
    assert messages[-1]["code"] == "session_too_long"


def test_asr_session_past_wall_clock_limit_closes_1008(make_client):
    client = make_client(max_session_s=0.3, idle_timeout_s=5.0)
    error, code = error_and_code(client, START)
    assert (error["code"], code) == ("session_too_long", 1008)


def test_asr_idle_client_closes_1008_without_hanging(make_client):
    error, code = error_and_code(make_client(idle_timeout_s=0.2), START)
    assert (error["code"], code) == ("idle_timeout", 1008)


def test_asr_engine_failure_closes_1011_with_error_id_logged_with_detail(make_client, caplog):
    error, code = error_and_code(make_client(failing_remote()), tone(1.0), {"type": "stop"})
    assert (error["code"], code) == ("engine_error", 1011)
    assert (
        error["message"]
        == f"the speech engine did not answer in time (error id {error['error_id']})"
    )
    logged = [r for r in caplog.records if error["error_id"] in r.message]
    assert len(logged) == 1 and "the Space 'x/y' did not answer within 30 s" in logged[0].message
    assert logged[0].exc_info is None  # an expected failure: one line, no traceback


def test_asr_engine_bug_closes_1011_and_logs_its_traceback(make_client, caplog):
    client = make_client(FakeEngine(error=ZeroDivisionError("oops")))
    error, code = error_and_code(client, tone(1.0), {"type": "stop"})
    assert (error["code"], code) == ("engine_error", 1011)
    assert "ZeroDivisionError" not in error["message"] and error["error_id"] in error["message"]
    logged = [r for r in caplog.records if error["error_id"] in r.message]
    assert "ZeroDivisionError: oops" in logged[0].message and logged[0].exc_info is not None


def test_asr_session_over_limit_closes_1013_and_first_keeps_working(make_client):
    client = make_client(max_sessions=1)
    with client.websocket_connect("/ws/asr") as first:
        assert first.receive_json()["type"] == "ready"
        with client.websocket_connect("/ws/asr") as second:
            messages, code = read_until_close(second)
        assert (messages[-1]["code"], code) == ("busy", 1013)
        send_audio(first, tone(0.5))
        first.send_json({"type": "stop"})
        messages, code = read_until_close(first)
    assert (code, messages[0]["type"]) == (1000, "final")


def test_asr_bad_session_leaves_next_session_served(make_client):
    client = make_client(max_sessions=1)
    assert error_and_code(client, "{")[1] == 1007
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(0.5))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert (code, messages[0]["type"]) == (1000, "final")


def test_asr_deeply_nested_json_closes_1007(make_client):
    """json.loads raises RecursionError, not ValueError, past its nesting limit."""
    error, code = error_and_code(make_client(), "[" * 100_000 + "]" * 100_000)
    assert (error["code"], code) == ("invalid_json", 1007)


def test_asr_second_start_with_bad_fields_is_unexpected_start(make_client):
    """Precedence: a second start is unexpected_start before its fields are looked at."""
    error, code = error_and_code(make_client(), START, START | {"sample_rate": "x"})
    assert (error["code"], code) == ("unexpected_start", 1008)


def test_asr_first_start_with_bad_fields_is_invalid_start(make_client):
    error, code = error_and_code(make_client(), START | {"sample_rate": "x"})
    assert (error["code"], code) == ("invalid_start", 1007)


def test_asr_idle_timeout_mid_utterance_sends_final_first(make_client):
    client = make_client(idle_timeout_s=0.5)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(1.0))  # an utterance still open: no silence after it
        messages, code = read_until_close(ws)
    assert code == 1008
    assert [m["type"] for m in messages] == ["final", "error"]
    assert messages[-1]["code"] == "idle_timeout"


def test_asr_session_utterance_cap_sends_finals_then_closes_1008(make_client):
    engine = FakeEngine()
    client = make_client(engine, max_utterances_per_session=3)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, (tone(0.3) + silence(0.8)) * 6)
        messages, code = read_until_close(ws)
    assert code == 1008
    assert [m["type"] for m in messages] == ["final"] * 3 + ["error"]
    assert messages[-1]["code"] == "too_many_utterances"
    assert len(engine.utterances) == 3


def test_asr_messages_after_stop_are_ignored(make_client):
    client = make_client()
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(0.5))
        ws.send_json({"type": "stop"})
        ws.send_text("{not json")
        messages, code = read_until_close(ws)
    assert (code, [m["type"] for m in messages]) == (1000, ["final"])


def test_asr_engine_busy_opening_a_stream_closes_1013_with_retry(make_client):
    class Full(FakeEngine):
        def open_stream(self):
            raise EngineBusyError("all 4 pocketsphinx streams are in use: try again shortly", 2.0)

    error, code = error_and_code(make_client(Full()), tone(0.5), {"type": "stop"})
    assert (error["code"], code, error["retry_after_s"]) == ("busy", 1013, 2)
