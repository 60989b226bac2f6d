"""A county's identity and its signing key (docs/city.md, "Identity and keys").

The identity (a code such as ``JX`` and a name such as 甲县) is set by an admin and recorded in the
set-up ledger (kind ``county_set``); the newest such entry is the county's identity, so every change
stays in the ledger's hash chain.  The signing key is an Ed25519 private key in a file that only its
owner may read (mode 0600), by default in the user data directory next to the default SQLite file
(:func:`workflow.db.default_db_path`).  The city receives only the public key: 32 bytes, written in
base64.  ``cryptography`` is imported inside the functions that sign or read a key, never at start-up.
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import stat
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow import ledger
from workflow.access import ADMIN, require
from workflow.db import default_db_path
from workflow.errors import BadInput, NotFound, os_reason
from workflow.tables import ledger as L
from workflow.values import identifier, required

COUNTY_SET = "county_set"  # the ledger kind of an identity entry
CODE_LIMIT = 40
NAME_LIMIT = 200
KEY_FILE_NAME = "county-signing-key.pem"


# --- identity --------------------------------------------------------------------------------------


def set_identity(engine: Engine, actor: str, code: str, name: str, reason: str | None = None) -> dict:
    """Record the county's code and name (admin) in the set-up ledger; returns the identity and entry."""
    code, name = checked_identity(code, name)
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "set the county's identity")
        current = identity_in(conn)
        if current == {"code": code, "name": name}:
            raise BadInput("county_is_already", [current], name=name, code=code)
        entry = ledger.append(conn, actor, COUNTY_SET, code, {"code": code, "name": name}, reason)
    return {"code": code, "name": name, "previous": current, "ledger": entry}


def checked_identity(code: Any, name: Any) -> tuple[str, str]:
    """A county's code and name as ``county set`` takes them; BadInput for any other."""
    return identifier(code, "--code", CODE_LIMIT), required(name, "--name", NAME_LIMIT)


def identity_in(conn: Any) -> dict | None:
    """The county's identity as the newest ``county_set`` entry of the set-up ledger on ``conn`` gives
    it, or None before any (a bundle's signed identity is checked against it: docs/city.md)."""
    import json

    row = conn.execute(select(L.c.payload).where(L.c.kind == COUNTY_SET).order_by(L.c.seq.desc()).limit(1)).first()
    if row is None:
        return None
    doc = json.loads(row[0])
    return {"code": doc["code"], "name": doc["name"]}


def identity(engine_or_conn: Any) -> dict:
    """The county's identity; NotFound (exit 4) before ``county set``."""
    if isinstance(engine_or_conn, Engine):
        with engine_or_conn.connect() as conn:
            found = identity_in(conn)
    else:
        found = identity_in(engine_or_conn)
    if found is None:
        raise NotFound("county_has_no_identity")
    return found


# --- keys ----------------------------------------------------------------------------------------------


def default_key_path() -> Path:
    return default_db_path().parent / KEY_FILE_NAME


def key_path(path: str | Path | None) -> Path:
    return Path(path) if path is not None else default_key_path()


def public_text(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# The encodings of the points of small order on Ed25519 (the sign bit of x left out, the last byte's
# top bit): 0 and 1, the two points of order 8, and p - 1, p and p + 1 written past the field.  A
# signature of any document under such a key can be made without a private key (R the identity, S
# 0), so none is ever taken as a county's key.  The list libsodium keeps (``ge25519_has_small_order``).
SMALL_ORDER_KEYS = tuple(bytes.fromhex(h) for h in (
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
))


def parse_public_key(text: str, what: str = "--key") -> bytes:
    """A public key given as base64 (44 characters) or hex (64 digits): its 32 raw bytes.  A point of
    small order (``SMALL_ORDER_KEYS``) is refused: anyone could sign in its name."""
    value = (text or "").strip()
    raw: bytes | None = None
    if len(value) == 64:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != 32:
        raise BadInput("is_not_ed25519_public", what=what, text=text)
    if raw[:31] + bytes([raw[31] & 0x7F]) in SMALL_ORDER_KEYS:
        raise BadInput("ed25519_key_of_small", what=what, text=text)
    return raw


def init_key(path: str | Path | None = None, *, force: bool = False) -> dict:
    """Make a new Ed25519 key in ``path`` (mode 0600; never through a symlink); refuses to replace an
    existing key unless ``force``.  Returns the file and the public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    target = key_path(path)
    if target.is_symlink():
        raise BadInput("key_file_is_symbolic", target=target)
    if target.is_dir() or not target.name:  # "" is read as ".": a folder too
        raise BadInput("key_file_is_folder", target=target)
    if target.exists():
        if not target.is_file():  # a pipe or a device: no key file, with --force or without
            raise BadInput("key_file_is_not_file", target=target)
        if not force:
            raise BadInput("key_file_already_holds", [{"file": str(target)}], target=target)
        target.unlink()
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        if isinstance(exc, FileExistsError) and not target.parent.is_dir():  # a file where a folder goes
            exc = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target.parent))
        raise BadInput("key_file_cannot_create", target=target, strerror=os_reason(exc)) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return {"key_file": str(target), "public_key": public_text(_raw_public(key))}


def _raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def load_key(path: str | Path | None = None) -> Any:
    """The county's private key from its file; NotFound before ``keys init``, BadInput for another file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    target = key_path(path)
    if target.is_dir():
        raise BadInput("key_file_is_folder", target=target)
    try:  # opened without waiting (a named pipe's writer), then read only if a regular file
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise NotFound("no_signing_key_at", target=target) from None
    except OSError as exc:
        raise BadInput("key_file_cannot_read", target=target, strerror=os_reason(exc)) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise BadInput("key_file_is_not_file", target=target)
        try:
            data = fh.read()
        except OSError as exc:
            raise BadInput("key_file_cannot_read", target=target, strerror=os_reason(exc)) from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise BadInput("key_file_is_not_pem", target=target) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput("key_file_is_not", target=target)
    return key


def show_key(path: str | Path | None = None) -> dict:
    key = load_key(path)
    return {"key_file": str(key_path(path)), "public_key": public_text(_raw_public(key))}


def sign(data: bytes, path: str | Path | None = None) -> tuple[str, str]:
    """(signature, public key), both base64, of ``data`` with the county's key."""
    key = load_key(path)
    return base64.b64encode(key.sign(data)).decode("ascii"), public_text(_raw_public(key))


def signature_holds(data: bytes, signature: str, public_key: str) -> bool:
    """Whether ``signature`` (base64) is ``public_key``'s Ed25519 signature of ``data``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(signature, validate=True)
        Ed25519PublicKey.from_public_bytes(parse_public_key(public_key)).verify(raw, data)
    except (InvalidSignature, binascii.Error, ValueError, BadInput):
        return False
    return True
