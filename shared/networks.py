"""Several networks in one deployment: each regional network is data (a row in `networks`), not a process.

Which network a piece of work belongs to is a context variable, set where work enters the system:
- a web request: `NetworkPaths` (WSGI) reads `/<slug>/newsletter/…` and moves `/<slug>` into SCRIPT_NAME,
  so every URL the app builds carries the network again; the plain `/newsletter/…` is the default network;
- a broker message: the network it was sent in travels in its options (`NetworkOfMessage`);
- a job, a sweep or a command: the caller loops over the networks with `using_network`.

Each network keeps its data apart in every service: on PostgreSQL in a schema of its own
(`network_<slug>`, chosen per connection with search_path), on SQLite in a file of its own
(`<data dir>/networks/<slug>/<service>.db`). The default network keeps the database it always had, so a
one-network install, its data and its links are unchanged; isolation does not depend on every query
remembering a filter. The list of networks lives in the default network's database of every service
(`elo network add` writes it to each), read again at most every few seconds: adding one needs no restart.

The settings (`ELO_NETWORK_NAME` and the rest) describe the default network; `settings_for` gives the
settings as a network sees them (its names, address, mail From, languages and its URLs under /<slug>).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from shared.settings import LANGUAGES, SERVICE_PREFIXES, Settings

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
# Slugs that would hide a path of the site.
RESERVED_SLUGS = frozenset({*(prefix.strip("/") for prefix in SERVICE_PREFIXES.values()), "static", "api",
                            "admin", "healthz", "metrics", "legal", "selko", "lattlast", "network", "networks"})
REGISTRY_SECONDS = 5.0
# The option of a broker message that names its network (absent: the default network).
NETWORK_OPTION = "elo_network"
# The WSGI environ key of a request's network.
NETWORK_ENVIRON = "elo.network"


@dataclass(frozen=True)
class Network:
    """One regional network. `languages` in the network's order: a Swedish-first region has ("sv", "fi")."""

    slug: str
    names: Mapping[str, str]
    languages: tuple[str, ...]
    mail_from: str
    postal_addresses: Mapping[str, str] = field(default_factory=dict)
    list_id: str = ""
    colour: str = ""
    logo_url: str = ""
    dkim_domain: str = ""

    def name_in(self, language: str) -> str:
        return self.names.get(language) or self.names.get(self.languages[0]) or self.slug

    @property
    def schema(self) -> str:
        return "network_" + self.slug.replace("-", "_")


class NetworkError(ValueError):
    """A network that cannot be added as given (the message says why, in one line)."""


def check_network(network: Network) -> None:
    if not SLUG_PATTERN.match(network.slug):
        raise NetworkError(f"slug {network.slug!r}: 3 to 40 lower-case letters, digits and hyphens, "
                           "starting with a letter")
    if network.slug in RESERVED_SLUGS:
        raise NetworkError(f"slug {network.slug!r} is a path of the site; choose another")
    if not network.languages or any(language not in LANGUAGES for language in network.languages):
        raise NetworkError(f"languages {','.join(network.languages)!r}: choose from {','.join(LANGUAGES)}")
    if len(set(network.languages)) != len(network.languages):
        raise NetworkError("languages: each language once")
    if not network.names.get(network.languages[0]):
        raise NetworkError(f"the network needs a name in {network.languages[0]}, its first language")
    if "@" not in network.mail_from:
        raise NetworkError(f"mail-from {network.mail_from!r} is not an email address")


# --- which network -------------------------------------------------------------------------------------

# None: the default network.
_current: ContextVar[Network | None] = ContextVar("elo_network", default=None)


def current_network() -> Network | None:
    """The network this request, message or job belongs to; None for the default network."""
    return _current.get()


def current_slug() -> str | None:
    network = _current.get()
    return network.slug if network else None


@contextlib.contextmanager
def using_network(network: Network | None) -> Iterator[None]:
    token = _current.set(network)
    try:
        yield
    finally:
        _current.reset(token)


def enter_network(network: Network | None) -> Token[Network | None]:
    """`using_network` in two halves, for hooks that begin and end the work apart (a request)."""
    return _current.set(network)


def leave_network(token: Token[Network | None]) -> None:
    try:
        _current.reset(token)
    except ValueError:  # the token is of another context: nothing to give back there
        _current.set(None)


def set_network(network: Network | None) -> None:
    """For entry points that cannot wrap the work in `using_network` (a WSGI call, a broker message)."""
    _current.set(network)


def path_prefix(network: Network | None = None) -> str:
    """`/<slug>` for a network's URLs; "" for the default network, which keeps the plain prefixes."""
    network = network if network is not None else _current.get()
    return f"/{network.slug}" if network else ""


# The network named by the broker message being processed in this thread (set by `shared.broker`).
_message_slug: ContextVar[str | None] = ContextVar("elo_message_network", default=None)


def set_message_slug(slug: str | None) -> None:
    _message_slug.set(slug)


def message_slug() -> str | None:
    return _message_slug.get()


# --- the settings a network sees -------------------------------------------------------------------------

_settings_cache: dict[tuple[int, str], tuple[Network, Settings]] = {}
_settings_lock = threading.Lock()


def settings_for(base: Settings, network: Network | None = None) -> Settings:
    """`base` (the default network's settings) as `network` (default: the current one) sees them."""
    network = network if network is not None else _current.get()
    if network is None:
        return base
    key = (id(base), network.slug)
    with _settings_lock:
        cached_network, cached = _settings_cache.get(key, (None, None))
        if cached is None or cached_network != network:
            if len(_settings_cache) > 1000:
                _settings_cache.clear()
            cached = dataclasses.replace(
                base,
                base_url=f"{base.base_url}/{network.slug}",
                network_name=network.name_in("fi"),
                network_names=dict(network.names),
                postal_address=network.postal_addresses.get("fi") or next(iter(network.postal_addresses.values()), ""),
                postal_addresses=dict(network.postal_addresses),
                mail_from=network.mail_from,
                primary_language=network.languages[0],
                dkim_domain=network.dkim_domain or base.dkim_domain,
            )
            _settings_cache[key] = (network, cached)
        return cached


# --- the registry ---------------------------------------------------------------------------------------

Loader = Callable[[], Sequence[Network]]


class Registry:
    """The networks, read with `loader` and kept for REGISTRY_SECONDS."""

    def __init__(self, loader: Loader) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._networks: dict[str, Network] = {}
        self._read_at = float("-inf")

    def by_slug(self, slug: str) -> Network | None:
        return self.networks().get(slug)

    def networks(self) -> dict[str, Network]:
        with self._lock:
            if time.monotonic() - self._read_at > REGISTRY_SECONDS:
                with using_network(None):
                    self._networks = {network.slug: network for network in self._loader()}
                self._read_at = time.monotonic()
            return self._networks

    def forget(self) -> None:
        with self._lock:
            self._read_at = float("-inf")


_registries: list[Registry] = []


def make_registry(loader: Loader) -> Registry:
    registry = Registry(loader)
    _registries.append(registry)
    return registry


def forget_networks() -> None:
    """Read the networks again on next use (after `elo network add` in this process; tests)."""
    for registry in _registries:
        registry.forget()


# --- web requests --------------------------------------------------------------------------------------


class NetworkPaths:
    """WSGI: `/<slug>/…` of a known network is served as `/…` in that network; anything else in the default
    network, which also answers at `/<its slug>/…`."""

    def __init__(self, app: Any, registry: Registry, default_slug: str) -> None:
        self.app = app
        self.registry = registry
        self.default_slug = default_slug

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        slug, _, rest = path.lstrip("/").partition("/")
        network = self.registry.by_slug(slug) if slug and slug not in RESERVED_SLUGS else None
        if network is not None or (slug == self.default_slug and rest):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/{slug}"
            environ["PATH_INFO"] = f"/{rest}"
        environ[NETWORK_ENVIRON] = network
        # Responses are rendered whole before they are returned (none is streamed), so the network can
        # end with the call. A streamed response would have to keep it (`using_network` in its generator).
        with using_network(network):
            return self.app(environ, start_response)

