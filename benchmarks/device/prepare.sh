#!/usr/bin/env bash
# Fill .gpu/ (git-ignored) with what the GPU machine of the device tool lacks:
# the skorch wheel, ClustPy's pure-Python sources (its one C extension is
# optional and built for another Python) and the MNIST file.  Run from the
# repository root, here, before carrying .gpu to the device:
#
#     benchmarks/device/prepare.sh [path/to/mnist.npz]
set -euo pipefail
cd "$(dirname "$0")/../.."
mnist="${1:-../shared/data/mnist.npz}"
rm -rf .gpu && mkdir -p .gpu/whl
skorch_version="$(python3 -c 'import skorch; print(skorch.__version__)')"
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_17_x86_64 -d .gpu/whl "skorch==${skorch_version}"
clustpy_dir="$(python3 -c 'import importlib.util as u; s = u.find_spec("clustpy"); print(s.submodule_search_locations[0] if s else "")')"
if [ -n "$clustpy_dir" ]; then
    mkdir -p .gpu/site
    cp -r "$clustpy_dir" .gpu/site/clustpy
    find .gpu/site/clustpy \( -name '*.so' -o -name '__pycache__' -o -name 'tests' \) -prune -exec rm -rf {} +
else
    echo "ClustPy is not installed here: speed.py will run our side only" >&2
fi
cp "$mnist" .gpu/mnist.npz
du -sh .gpu
