"""Per-client accounting: open connections and audio seconds, keyed on the client's address.

The address is `scope["client"]`, which uvicorn's --proxy-headers sets from X-Forwarded-For
only when the peer is a trusted proxy (FORWARDED_ALLOW_IPS): see docs/SERVICE.md.

Audio is a token bucket that may go into debt: a client may send while its balance is
positive, each second of audio costs a second, and the balance refills at
MAX_CLIENT_AUDIO_S_PER_MIN per minute up to that amount. One long upload is let through and
then the client waits until it has earned the time back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.types import Scope

from backend.app.protocol import POLICY, Audio, Event, ProtocolError

SCOPE_KEY = "featherweight.client"  # where the gate leaves a connection's Client
BYTES_PER_SECOND = 16_000 * 2
SWEEP_AT = 1024  # accounts kept before idle, refilled ones are dropped


class ClientLimitError(Exception):
    """A client over one of its caps; `retry_after` is in whole seconds."""

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass
class Account:
    connections: int
    balance: float  # audio seconds the client may still send
    at: float  # when `balance` was last brought up to date


@dataclass
class Clients:
    """Every client's connections and audio balance, in this process."""

    max_connections: int
    audio_s_per_min: float
    clock: Callable[[], float] = time.monotonic
    accounts: dict[str, Account] = field(default_factory=dict)

    def open(self, address: str) -> Client:
        """Count one more connection for `address`, or raise ClientLimitError."""
        account = self._account(address)
        if account.connections >= self.max_connections:
            message = (
                f"this client already has {account.connections} connections open, the most "
                "it may have: close one and try again"
            )
            raise ClientLimitError("too_many_connections", message, 1)
        account.connections += 1
        return Client(address, self)

    def close(self, address: str) -> None:
        account = self.accounts.get(address)
        if account is not None:
            account.connections = max(0, account.connections - 1)

    def check_audio(self, address: str) -> None:
        """Raise ClientLimitError if `address` has no audio time left right now."""
        account = self._account(address)
        if account.balance <= 0:
            rate = self.audio_s_per_min / 60
            wait = math.ceil(-account.balance / rate) + 1
            message = (
                f"this client sent more than {self.audio_s_per_min:g} s of audio a minute: "
                f"wait {wait} s and try again"
            )
            raise ClientLimitError("rate_limited", message, wait)

    def charge_audio(self, address: str, seconds: float) -> None:
        """Spend `seconds` of `address`'s audio time; raise ClientLimitError if it had none."""
        self.check_audio(address)
        self.accounts[address].balance -= seconds

    def _account(self, address: str) -> Account:
        now = self.clock()
        account = self.accounts.get(address)
        if account is None:
            if len(self.accounts) >= SWEEP_AT:
                self._sweep(now)
            account = self.accounts[address] = Account(0, self.audio_s_per_min, now)
        rate = self.audio_s_per_min / 60
        account.balance = min(self.audio_s_per_min, account.balance + (now - account.at) * rate)
        account.at = now
        return account

    def _sweep(self, now: float) -> None:
        """Forget clients with nothing open whose balance has refilled: they start afresh."""
        rate = self.audio_s_per_min / 60
        for address, account in list(self.accounts.items()):
            refilled = account.balance + (now - account.at) * rate >= self.audio_s_per_min
            if account.connections == 0 and refilled:
                del self.accounts[address]


@dataclass(frozen=True)
class Client:
    """One connection's handle on its client's account."""

    address: str
    clients: Clients

    def check_audio(self) -> None:
        self.clients.check_audio(self.address)

    def charge_audio(self, seconds: float) -> None:
        self.clients.charge_audio(self.address, seconds)


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it (after trusted proxy headers)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def client_of(connection: HTTPConnection) -> Client:
    """The Client the gate attached to this WebSocket or API request."""
    client: Client = connection.scope[SCOPE_KEY]
    return client


def charge_frame(connection: HTTPConnection, event: Event) -> None:
    """Charge an audio event to its client (WS /ws/asr); over budget is `rate_limited`, 1008.

    The session sends the finals of what it already heard before it closes (flush).
    """
    if not isinstance(event, Audio):
        return
    try:
        client_of(connection).charge_audio(len(event.pcm) / BYTES_PER_SECOND)
    except ClientLimitError as exc:
        raise ProtocolError(exc.code, exc.message, POLICY, flush=True) from None
