"""The three services and how they are composed. A service never imports another service."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from shared.settings import SERVICE_PREFIXES


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    prefix: str
    package: str

    def module(self, submodule: str = "") -> ModuleType:
        return importlib.import_module(f"{self.package}.{submodule}" if submodule else self.package)

    @property
    def directory(self) -> Path:
        return Path(__file__).parent / self.name

    @property
    def migrations_dir(self) -> Path:
        return self.directory / "migrations"


# The URL prefixes are the platform's (shared.settings), so service-to-service calls use the same ones.
SERVICES = tuple(ServiceInfo(name, prefix, f"services.{name}") for name, prefix in SERVICE_PREFIXES.items())
