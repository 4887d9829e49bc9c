"""Stand-in for the pip bootstrap script ansible-test downloads into ~/.ansible/test/cache/.

ansible-test creates its sanity virtual environments without pip and fetches a get-pip script from a host
outside the package registries this project may reach. This script does the same job with what every
CPython ships (ensurepip) and then installs the requested pip from the package index the machine's pip
is configured for. ansible-test runs it with pip's options and the wanted packages (for example
`--disable-pip-version-check pip==25.2 --no-setuptools --no-wheel`).
"""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)
