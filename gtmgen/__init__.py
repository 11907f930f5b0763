"""gtmgen: compile a site spec into a Google Tag Manager web container."""

from __future__ import annotations

__version__ = "0.1.0"
