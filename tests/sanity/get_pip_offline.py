"""Offline stand-in for the get-pip.py script ansible-test downloads to bootstrap its venvs.

ansible-test looks for ~/.ansible/test/cache/get_pip_<version>.py before downloading; tests/run-sanity.sh
puts this file there. It installs pip from the interpreter's bundled wheel (ensurepip), then installs
the requested packages with the machine's own pip configuration (ensurepip hides it by setting
PIP_CONFIG_FILE to os.devnull, which would also hide the configured index and CA bundle).
"""

import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
os.environ.pop("PIP_CONFIG_FILE", None)
arguments = [argument for argument in sys.argv[1:] if argument not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", *arguments]))
