"""An environment for pip that ignores the user's pip configuration, as Render's builder does.

pip reads /etc/pip.conf, /etc/xdg/pip/pip.conf, ~/.config/pip/pip.conf and PIP_* variables.
A constraint file or an extra index in any of them silently changes what gets compiled or
installed, and an index URL can leak into the generated file. Render has none of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

PYPI_INDEX = "https://pypi.org/simple"


def isolated_pip_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return `base` (default: os.environ) without PIP_* variables and with no pip config file."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith(("PIP_", "UV_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    return env
