"""One POST to an address staff approved, and nowhere else.

The URL's host is resolved once and every address it has must be public (unless
``WEBHOOKS_ALLOW_PRIVATE``: tests and development): loopback, private, link-local, shared,
reserved and multicast addresses are refused, so a webhook cannot be aimed at the platform's
own network. The connection then goes to the address that was checked (a DNS answer that
changes in between cannot move it), with the URL's Host header and TLS server name, and a
redirect is never followed: a 3xx is the receiver's answer, not a new address.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3

RESPONSE_KEPT = 512  # bytes of a failed response's body kept in the delivery's error


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


def _target(url: str) -> tuple[str, str, int, str, str]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise UnsafeURL("Only http:// and https:// URLs with a host can receive webhooks.")
    if parts.username or parts.password:
        raise UnsafeURL("Put no credentials in the URL: verify the signature instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL("The URL's port is not a number between 0 and 65535.") from exc
    host = parts.hostname
    authority = f"[{host}]" if ":" in host else host
    if parts.port:
        authority = f"{authority}:{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, authority, path


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_multicast or address.is_unspecified:
        return True
    return not allow_private and not address.is_global


def addresses_check(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url`` may be sent to; ``UnsafeURL`` if any of its host's is refused,
    ``Unresolvable`` if it has none now."""
    _, host, port, _, _ = _target(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"{host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in found))
    for text in addresses:
        if _refused(ipaddress.ip_address(text), allow_private):
            raise UnsafeURL(
                f"{host} resolves to {text}, a private, loopback or reserved address: "
                "webhooks only go to public addresses."
            )
    return addresses


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> Outcome:
    """POST ``body``; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    scheme, host, port, authority, path = _target(url)
    try:
        address = addresses_check(url, allow_private=allow_private)[0]
    except Unresolvable as exc:
        return Outcome(None, took(), str(exc)[:300])
    pool: urllib3.HTTPConnectionPool
    options = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address,
            port,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            **options,  # type: ignore[arg-type]
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)  # type: ignore[arg-type]
    try:
        response = pool.urlopen(
            "POST",
            path,
            body=body,
            headers={**headers, "Host": authority},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            failed = response.status >= 300
            text = response.read(RESPONSE_KEPT, decode_content=False) if failed else b""
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as exc:  # connect, TLS, timeout, protocol errors
        reason = getattr(exc, "reason", None) or exc
        return Outcome(None, took(), f"{type(reason).__name__}: {reason}"[:300])
    except OSError as exc:
        return Outcome(None, took(), f"{type(exc).__name__}: {exc}"[:300])
    finally:
        pool.close()
    error = ""
    if 300 <= response.status < 400:
        error = f"redirect to {response.headers.get('Location', '?')} not followed"
    elif response.status >= 400:
        error = text.decode("utf-8", "replace").strip()
    return Outcome(response.status, took(), error[:300], response.headers.get("Retry-After"))
