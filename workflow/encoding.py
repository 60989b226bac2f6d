"""The one canonical encoding of history (docs/audit.md): RFC 8785 canonical JSON, the hashed event
document and the bytes of a stored event row.

An event's hash is SHA-256 over the RFC 8785 canonical JSON of its stored fields
(:func:`event_document`), including the previous event's hash.  :func:`canonical` writes what
the reference ``rfc8785`` package writes (and raises where it raises): plain values (objects with
keys below U+D800, text, integers within ±(2**53 - 1), booleans, null, lists) go through the
standard library's C JSON encoder, whose output for them is exactly RFC 8785's; anything else
(floats, subclasses, exotic keys, out-of-range integers) goes through :func:`canonical_exact`, a
direct transcription of the RFC.  :func:`event_bytes` writes an event document around a payload
that is already canonical (as stored) without parsing it.  ``tests/test_events.py`` proves all
three byte-identical to ``rfc8785`` with golden vectors and generated values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from json.encoder import encode_basestring as _py_encode_basestring
from typing import Any

try:  # the C accelerator of the standard library's JSON encoder
    from json.encoder import c_encode_basestring as _c_encode_basestring  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - CPython always has it
    _c_encode_basestring = None

GENESIS = "0" * 64
INT_MAX = 2**53 - 1
INT_MIN = -(2**53) + 1

_enc: Callable[[str], str] = _c_encode_basestring or _py_encode_basestring


def format_utc(ts: datetime) -> str:
    """A UTC timestamp in the hashed form; naive datetimes are taken as UTC."""
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
    return ts.isoformat(timespec="microseconds") + "Z"  # %Y-%m-%dT%H:%M:%S.%fZ, without strftime's cost


# --- canonical JSON (RFC 8785) --------------------------------------------------------------------


def canonical_reference(value: Any) -> bytes:
    """RFC 8785 canonical JSON by the reference ``rfc8785`` implementation (for proofs and tests)."""
    import rfc8785

    return rfc8785.dumps(value)


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16be")


def _dump(value: Any, out: Callable[[str], None]) -> None:
    t = type(value)
    if t is str:
        out(_enc(value))
    elif value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif t is int:
        if value < INT_MIN or value > INT_MAX:
            import rfc8785

            raise rfc8785.IntegerDomainError(value)
        out(int.__repr__(value))
    elif t is dict:
        if not value:
            out("{}")
            return
        try:
            keys = sorted(value, key=_utf16_key)
        except AttributeError:
            import rfc8785

            raise rfc8785.CanonicalizationError("object keys must be strings") from None
        first = True
        for k in keys:
            out("{" if first else ",")
            first = False
            out(_enc(k))
            out(":")
            _dump_part(value[k], out)
        out("}")
    elif t is list or t is tuple:
        if not value:
            out("[]")
            return
        first = True
        for v in value:
            out("[" if first else ",")
            first = False
            _dump_part(v, out)
        out("]")
    else:
        _dump_other(value, out)


def _dump_part(value: Any, out: Callable[[str], None]) -> None:
    """A member of an object or array: a plain object or array (``_plain``: what the C encoder writes
    exactly as RFC 8785 does) in one piece by the C encoder, anything else value by value.  A large
    report with a float somewhere is then a few long strings, not one per value."""
    t = type(value)
    if (t is dict or t is list) and value and _plain(value):
        out(_C_ENCODER.encode(value))
    else:
        _dump(value, out)


def _dump_other(value: Any, out: Callable[[str], None]) -> None:
    """Subclasses and floats, in the order ``rfc8785.dump`` tests them."""
    import rfc8785

    if isinstance(value, bool):
        out("true" if value else "false")
    elif isinstance(value, int):
        _dump(int(value), out)
    elif isinstance(value, str):
        out(_enc(value))
    elif isinstance(value, float):
        out(rfc8785.dumps(float(value)).decode("ascii"))
    elif isinstance(value, list | tuple):
        _dump(list(value), out)
    elif isinstance(value, dict):
        _dump(dict(value), out)
    else:
        raise rfc8785.CanonicalizationError(f"unsupported type: {type(value)}")


def canonical_values(value: Any) -> Any:
    """The values ``json.loads(canonical(wide_ints(value)))`` gives — objects in canonical key order,
    numbers as RFC 8785 writes them read back (``1.0`` is ``1``), tuples as lists, integers outside
    ±(2**53 - 1) as their digits — built without writing the text: the strings are shared, only the
    containers are new.  Raises where :func:`canonical` raises on anything but a wide integer or a lone
    surrogate (text from the database never holds one).  A report printed as JSON is this form
    (``closing.as_stored``); ``tests/test_encoding.py`` proves the two equal."""
    t = type(value)
    if t is str or value is None or t is bool:
        return value
    if t is int:
        return value if INT_MIN <= value <= INT_MAX else str(value)
    if t is dict:
        try:
            keys = sorted(value, key=_utf16_key)
        except AttributeError:
            import rfc8785

            raise rfc8785.CanonicalizationError("object keys must be strings") from None
        return {str(k): canonical_values(value[k]) for k in keys}
    if t is list or t is tuple:
        return [canonical_values(v) for v in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return canonical_values(int(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        import rfc8785

        return json.loads(rfc8785.dumps(float(value)))
    if isinstance(value, list | tuple):
        return canonical_values(list(value))
    if isinstance(value, dict):
        return canonical_values(dict(value))
    import rfc8785

    raise rfc8785.CanonicalizationError(f"unsupported type: {type(value)}")


def wide_ints(value: Any) -> Any:
    """``value`` with every integer outside ±(2**53 - 1) written as its decimal digits (a string):
    the I-JSON form (RFC 7493) of a number JSON readers cannot keep exact.  Only a total across
    projects can be that large (one amount is at most ``MAX_MINOR``), so reports use this when
    :func:`canonical` refuses them."""
    t = type(value)
    if t is int or (isinstance(value, int) and not isinstance(value, bool)):
        return value if INT_MIN <= value <= INT_MAX else str(int(value))
    if isinstance(value, dict):
        return {k: wide_ints(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wide_ints(v) for v in value]
    return value


def canonical_exact(value: Any) -> bytes:
    """RFC 8785 canonical JSON written value by value (any value ``rfc8785`` takes)."""
    parts: list[str] = []
    _dump(value, parts.append)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        import rfc8785

        raise rfc8785.CanonicalizationError("input contains non-UTF-8 codepoints") from exc


_C_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
try:  # the encoder's C core, built once (``JSONEncoder.encode`` builds it on every call)
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]

    _C_CORE = _c_make_encoder(None, _C_ENCODER.default, _enc, None, ":", ",", True, False, False)
except (ImportError, TypeError):  # pragma: no cover - CPython always has it
    _C_CORE = None


def _plain(value: Any) -> bool:
    """Whether the C encoder writes ``value`` exactly as RFC 8785 does: its strings are escaped the
    same way, and with keys below U+D800 code-point order is UTF-16 order; floats and integers beyond
    ±(2**53 - 1) are what it writes differently (or should refuse)."""
    t = type(value)
    if t is str or value is None or t is bool:
        return True
    if t is int:
        return INT_MIN <= value <= INT_MAX
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or (k and max(k) >= "\ud800") or not _plain(v):
                return False
        return True
    if t is list:
        return all(_plain(v) for v in value)
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON, byte-identical to ``rfc8785.dumps`` (and raising where it raises)."""
    if _plain(value):
        try:
            return _C_ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let the exact path raise as rfc8785 does
            pass
    return canonical_exact(value)


def plain_text(payload: dict[str, Any]) -> str:
    """The canonical text of an event's payload (``Event.payload``): built from checked values (text,
    booleans, null, dates as text, integers within the amount limit, ASCII keys), which the C encoder
    writes exactly as RFC 8785 does, so no per-value check is needed; ``tests/test_events.py`` proves
    every kind's payload against ``rfc8785``.  A lone surrogate raises when the event bytes are encoded."""
    try:
        return "".join(_C_CORE(payload, 0)) if _C_CORE is not None else _C_ENCODER.encode(payload)
    except (TypeError, ValueError):  # pragma: no cover - a payload of an unexpected type
        return canonical(payload).decode("utf-8")


def payload_text(payload: Mapping[str, Any]) -> str:
    """The stored form of a payload: its canonical JSON as text."""
    return canonical(dict(payload)).decode("utf-8")


# --- the hashed event document ---------------------------------------------------------------------


def event_document(*, project: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
                   to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
                   reason: str | None, payload: dict | str, prev_hash: str) -> dict:
    """The JSON object that is hashed for one event."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    return {
        "project": project,
        "seq": seq,
        "kind": kind,
        "trigger": trigger,
        "from": from_stage,
        "to": to_stage,
        "effective_on": effective_on if isinstance(effective_on, str) else effective_on.isoformat(),
        "recorded_at": recorded_at if isinstance(recorded_at, str) else format_utc(recorded_at),
        "actor": actor,
        "reason": reason,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def document_hash(**fields: Any) -> str:
    """The hash of an event given by ``event_document``'s fields (parsed values; any payload form):
    the definition ``event_bytes`` writes fast."""
    return hashlib.sha256(canonical(event_document(**fields))).hexdigest()


# The event document with its keys in RFC 8785 order, around a payload that is already canonical
# text.  Every string goes through the JSON string encoder, so no field can spill into its
# neighbours and the bytes determine the fields.
_EVENT_TEMPLATE = (
    '{"actor":%s,"effective_on":%s,"from":%s,"kind":%s,"payload":%s,"prev_hash":%s,"project":%s,'
    '"reason":%s,"recorded_at":%s,"seq":%s,"to":%s,"trigger":%s}'
)


def _frame(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, actor: str,
           reason: str | None) -> tuple[str, str, str, str]:
    """``_EVENT_TEMPLATE``'s text around an event's date, payload, chain, recorded time and sequence
    number: the parts that repeat from event to event (a batch writes thousands with one kind and
    actor; a stored history repeats a few dozen combinations)."""
    enc = _enc
    actor_, kind_ = enc(actor), enc(kind)
    from_ = "null" if from_stage is None else enc(from_stage)
    reason_ = "null" if reason is None else enc(reason)
    to_ = "null" if to_stage is None else enc(to_stage)
    trigger_ = "null" if trigger is None else enc(trigger)
    return (f'{{"actor":{actor_},"effective_on":', f',"from":{from_},"kind":{kind_},"payload":',
            f',"reason":{reason_},"recorded_at":', f',"to":{to_},"trigger":{trigger_}}}')


# Frames repeat (the same kind, stages, actor and reason): verify reuses them.
_cached_frame = lru_cache(maxsize=4096)(_frame)


def _frame_at(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, recorded_at: str,
              actor: str, reason: str | None) -> tuple[str, str, str, str]:
    """``_frame`` with the recorded time (the hashed text) written in."""
    head, middle, after, end = _frame(kind, trigger, from_stage, to_stage, actor, reason)
    return head, middle, after + _enc(recorded_at), end


# A batch writes thousands of events with one kind, actor and recorded time: it reuses whole frames.
_repeated_frame = lru_cache(maxsize=4096)(_frame_at)


def event_bytes(code: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
                to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
                reason: str | None, payload: str, prev_hash: str, *, repeated: bool = False) -> bytes:
    """The canonical bytes of an event whose payload is canonical JSON text (how it is stored).

    ``effective_on`` is a date or ISO text; ``recorded_at`` a datetime, the hashed text, or the
    SQLite column text (``YYYY-MM-DD HH:MM:SS.ffffff``).  Raises ``TypeError``/``ValueError`` on values
    of an unexpected type or form (verify then takes the parsing path).  ``repeated``: the caller
    writes many events with one recorded time (a write transaction), whose whole frames are reused."""
    enc = _enc
    if type(effective_on) is str:
        if len(effective_on) != 10:
            raise ValueError("effective_on")
        effective = enc(effective_on)
    elif isinstance(effective_on, date):
        effective = f'"{effective_on.isoformat()}"'
    else:  # neither (a tampered column): refused as any other value of the wrong type
        raise TypeError("effective_on")
    if type(recorded_at) is str:
        if len(recorded_at) == 26 and recorded_at[10] == " ":
            recorded_at = f"{recorded_at[:10]}T{recorded_at[11:]}Z"
        elif len(recorded_at) != 27 or recorded_at[10] != "T":
            raise ValueError("recorded_at")
    elif isinstance(recorded_at, datetime):
        recorded_at = format_utc(recorded_at)
    else:
        raise TypeError("recorded_at")
    if type(seq) is not int or type(payload) is not str:
        raise TypeError("seq/payload")
    if repeated:
        head, middle, after, end = _repeated_frame(kind, trigger, from_stage, to_stage, recorded_at, actor, reason)
    else:
        head, middle, after, end = _cached_frame(kind, trigger, from_stage, to_stage, actor, reason)
        after += enc(recorded_at)
    return "".join((head, effective, middle, payload, ',"prev_hash":', enc(prev_hash), ',"project":', enc(code),
                    after, ',"seq":', str(seq), end)).encode("utf-8")


def project_field(code: str) -> bytes | None:
    """The ``"project"`` member of the event document of project ``code`` (UTF-8), for ``row_bytes``;
    None when ``code`` is not text or holds a lone surrogate (a row no program wrote), which
    ``row_bytes`` refuses."""
    try:
        return (',"project":' + _enc(code)).encode("utf-8")
    except (TypeError, UnicodeEncodeError):
        return None


@lru_cache(maxsize=4096)
def _row_template(kind: str, trigger: str | None, from_stage: str | None, to_stage: str | None, actor: str,
                  reason: str | None) -> bytes:
    """``_frame`` as one UTF-8 template for ``row_bytes``: ``%s`` where the date, payload, previous hash,
    project member and recorded time go, ``%d`` the seq."""
    head, middle, after, end = (part.replace("%", "%%").encode("utf-8")
                                for part in _frame(kind, trigger, from_stage, to_stage, actor, reason))
    return b"".join((head, b"%s", middle, b'%s,"prev_hash":%s%s', after, b'%s,"seq":%d', end))


def row_bytes(project: bytes | None, row: tuple) -> bytes:
    """``event_bytes`` of a stored event row ``(id, project_id, seq, kind, trigger, from_stage, to_stage,
    effective_on, recorded_at, actor, reason, payload, prev_hash, hash)`` whose dates are text as SQLite
    returns them (``YYYY-MM-DD``, the recorded time as ``YYYY-MM-DD HH:MM:SS.ffffff`` or in the hashed
    form, as a county bundle holds it), its project given as ``project_field(code)``: the chain
    checks' route over millions of rows, one call each.  Raises ``ValueError``/``TypeError`` on any
    other form, where ``event_bytes`` raises too when the two dates are text (the caller takes
    ``event_bytes`` for dates as objects)."""
    (_id, _pid, seq, kind, trigger, from_stage, to_stage, eff, rec, actor, reason, payload, prev, _hash) = row
    if type(eff) is not str or len(eff) != 10 or type(rec) is not str or type(seq) is not int \
            or type(payload) is not str or project is None:
        raise ValueError("not a stored row")
    if len(rec) == 26 and rec[10] == " ":  # SQLite's column text
        rec = f"{rec[:10]}T{rec[11:]}Z"
    elif len(rec) != 27 or rec[10] != "T":  # nor the hashed form
        raise ValueError("recorded_at")
    enc = _enc
    # each part encoded (UTF-8) apart: a payload with text beyond ASCII does not widen the whole document
    return _row_template(kind, trigger, from_stage, to_stage, actor, reason) % (
        enc(eff).encode(), payload.encode(), enc(prev).encode(), project, enc(rec).encode(), seq)


def event_hash(code: str, seq: int, kind: str, trigger: str | None, from_stage: str | None,
               to_stage: str | None, effective_on: date | str, recorded_at: datetime | str, actor: str,
               reason: str | None, payload: str, prev_hash: str) -> str:
    return hashlib.sha256(event_bytes(code, seq, kind, trigger, from_stage, to_stage, effective_on, recorded_at,
                                      actor, reason, payload, prev_hash)).hexdigest()


def event_json(row: Mapping[Any, Any]) -> dict:
    """An event as the command line shows it (docs/audit.md, `pipeline history`), from a mapping of its columns."""
    payload = row["payload"]
    return {
        "seq": row["seq"],
        "kind": row["kind"],
        "trigger": row["trigger"],
        "from": row["from_stage"],
        "to": row["to_stage"],
        "effective_on": row["effective_on"].isoformat(),
        "recorded_at": format_utc(row["recorded_at"]),
        "actor": row["actor"],
        "reason": row["reason"],
        "payload": json.loads(payload) if isinstance(payload, str) else payload,
        "hash": row["hash"],
        "prev_hash": row["prev_hash"],
    }
