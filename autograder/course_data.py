# Course data loader (provided; do not edit). The same code runs in Colab, on a TA's machine and in CI.
# It looks for each file in $COURSE_DATA_DIR, then in a cache folder, and otherwise downloads it from the
# dataset's public source; every file is checked against its published sha256 before it is used.
import gzip
import hashlib
import os
import urllib.request

import numpy as np

COURSE_DATA_FILES = {
    "wine/winequality-red.csv": (
        "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
        ["https://archive.ics.uci.edu/ml/machine-learning-databases/wine-quality/winequality-red.csv"],
    ),
    "mnist/train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz"],
    ),
    "mnist/train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz"],
    ),
    "mnist/t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz"],
    ),
    "mnist/t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ["https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
         "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz"],
    ),
}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def course_cache_dir():
    """The folder downloads are kept in: $COURSE_DATA_CACHE, else ~/.cache/course_data."""
    return os.environ.get("COURSE_DATA_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "course_data")


def course_file(name):
    """Return a local path to the course data file `name` (e.g. "wine/winequality-red.csv").

    Looks in $COURSE_DATA_DIR, then the cache folder, then downloads into the cache. Raises
    FileNotFoundError (offline, or no copy anywhere) or ValueError (a copy whose sha256 is wrong).
    """
    if name not in COURSE_DATA_FILES:
        raise KeyError(f"{name!r} is not a course data file; known: {sorted(COURSE_DATA_FILES)}")
    sha256, urls = COURSE_DATA_FILES[name]
    local_dir = os.environ.get("COURSE_DATA_DIR")
    for folder in ([local_dir] if local_dir else []) + [course_cache_dir()]:
        path = os.path.join(folder, name)
        if os.path.exists(path):
            if _sha256(path) != sha256:
                raise ValueError(f"{path}: sha256 does not match the published {sha256}; "
                                 "the file is damaged or not the original: delete it and run again")
            return path
    target = os.path.join(course_cache_dir(), name)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    errors = []
    for url in urls:
        partial = target + ".part"
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(partial, "wb") as out:
                out.write(response.read())
        except OSError as exc:
            errors.append(f"{url}: {exc}")
            continue
        if _sha256(partial) != sha256:
            os.remove(partial)
            errors.append(f"{url}: downloaded file has the wrong sha256")
            continue
        os.replace(partial, target)
        return target
    raise FileNotFoundError(f"{name}: no local copy (set COURSE_DATA_DIR to a folder holding it) and "
                            "the download failed:\n  " + "\n  ".join(errors))


def load_wine_red():
    """The UCI red-wine quality data.

    Returns
    -------
    data : ndarray, shape (1599, 12)   11 physicochemical features, then quality (an integer 3..8)
    columns : list of 12 str           the column names from the CSV header
    """
    path = course_file("wine/winequality-red.csv")
    with open(path) as f:
        columns = [name.strip('"') for name in f.readline().strip().split(";")]
    return np.genfromtxt(path, delimiter=";", skip_header=1), columns


def _read_idx(path):
    raw = gzip.open(path).read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_mnist():
    """The four official MNIST files.

    Returns
    -------
    X_train : ndarray of uint8, shape (60000, 28, 28)
    y_train : ndarray of uint8, shape (60000,)
    X_test : ndarray of uint8, shape (10000, 28, 28)
    y_test : ndarray of uint8, shape (10000,)
    """
    return tuple(_read_idx(course_file(f"mnist/{name}.gz")) for name in (
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))
