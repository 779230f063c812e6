"""One POST to an address staff approved, and nowhere else, within a deadline.

The URL's host is resolved once and every address it has must be public (unless
``WEBHOOKS_ALLOW_PRIVATE``: tests and development): loopback, private, link-local, shared,
reserved and multicast addresses are refused, and so are the IPv6 forms that carry an IPv4
address inside (IPv4-compatible, NAT64, 6to4, Teredo), so a webhook cannot be aimed at the
platform's own network. The connection then goes to the address that was checked (a DNS
answer that changes in between cannot move it), with the URL's Host header and TLS server
name (an internationalised host in its ASCII form), and a redirect is never followed: a 3xx
is the receiver's answer, not a new address. The whole exchange -- resolving, connecting,
sending, the answer's status and headers -- has one deadline: a receiver that answers a byte
at a time is cut off when it passes.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

RESPONSE_KEPT = 512  # bytes of a failed response's body kept in the delivery's error
# IPv6 ranges that embed an IPv4 address (and so may reach one): refused unless private
# addresses are allowed.
EMBEDDING = [
    ipaddress.ip_network(net)
    for net in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32")
]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """The URL is not one a webhook may be sent to (its scheme, or where it resolves)."""


class Unresolvable(OSError):
    """The host has no address right now (a network error: retried)."""


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer (a network error, a timeout)
    duration_ms: int
    error: str = ""
    retry_after: str | None = None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (an IDN in punycode)
    port: int
    authority: str  # the Host header
    path: str


def target_parse(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeURL("Only http:// and https:// URLs with a host can receive webhooks.")
    if parts.username or parts.password:
        raise UnsafeURL("Put no credentials in the URL: verify the signature instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = parts.hostname.encode("idna").decode("ascii")
    except ValueError as exc:  # a port out of range; a host IDNA cannot encode
        raise UnsafeURL(f"The URL's host or port is not valid: {exc}") from exc
    authority = f"[{host}]" if ":" in host else host
    if parts.port:
        authority = f"{authority}:{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, authority, path)


def _refused(address: Address, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _refused(address.ipv4_mapped, allow_private)
        if not allow_private and any(address in net for net in EMBEDDING):
            return True
    if address.is_multicast or address.is_unspecified:
        return True
    return not allow_private and not address.is_global


def addresses_check(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url`` may be sent to; ``UnsafeURL`` if any of its host's is refused,
    ``Unresolvable`` if it has none now."""
    target = target_parse(url)
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{target.host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in found))
    for text in addresses:
        if _refused(ipaddress.ip_address(text), allow_private):
            raise UnsafeURL(
                f"{target.host} resolves to {text}, a private, loopback or reserved address: "
                "webhooks only go to public addresses."
            )
    return addresses


def _cut(sock: socket.socket) -> None:
    """Wake whatever waits on the socket (a read blocked in another thread): the deadline."""
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # under TLS too: no close_notify


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Outcome:
    """POST ``body``; ``UnsafeURL`` if the URL is refused, else never raises: whatever the
    network or the receiver does is an ``Outcome``."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    target = target_parse(url)
    try:
        address = addresses_check(url, allow_private=allow_private)[0]
    except Unresolvable as exc:
        return Outcome(None, took(), str(exc)[:300])
    left = timeout - (time.monotonic() - started)
    if left <= 0:
        return Outcome(None, took(), "timed out resolving the host")
    sock: socket.socket | None = None
    # The deadline, whatever the receiver does: the socket is shut when it passes.
    watchdog: threading.Timer | None = None
    try:
        sock = socket.create_connection((address, target.port), timeout=left)
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        watchdog = threading.Timer(max(timeout - (time.monotonic() - started), 0), _cut, (sock,))
        watchdog.daemon = True
        watchdog.start()
        connection = http.client.HTTPConnection(target.host, target.port)
        connection.sock = sock
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        for name, value in {**headers, "Host": target.authority, "Connection": "close"}.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        status = response.status
        text = response.read(RESPONSE_KEPT) if status >= 300 else b""
        retry_after, location = response.getheader("Retry-After"), response.getheader("Location")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        late = time.monotonic() - started >= timeout
        error = "timed out" if late or isinstance(exc, TimeoutError) else f"{exc}"
        return Outcome(None, took(), f"{type(exc).__name__}: {error}"[:300])
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if sock is not None:
            sock.close()
    error = ""
    if 300 <= status < 400:
        error = f"redirect to {location or '?'} not followed"
    elif status >= 400:
        error = text.decode("utf-8", "replace").strip()
    return Outcome(status, took(), error[:300], retry_after)
