"""A tiny safetensors reader/writer for the parity tests (numpy only; torch
tensors go through numpy). Format (huggingface.co/docs/safetensors): 8-byte
little-endian header length N, N bytes of JSON {name: {dtype, shape,
data_offsets}, "__metadata__": {str: str}} padded with spaces to a multiple of
8, then the raw little-endian tensor data, tensors back to back."""

import json
import struct

import numpy as np

_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def _to_numpy(t):
    if isinstance(t, np.ndarray):
        return t
    # torch.Tensor (not imported here: the module also works without torch)
    return t.detach().cpu().contiguous().numpy()


def save(tensors, path, metadata=None):
    """Write {name: numpy array or torch tensor} to path, in the given order."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, off = [], 0
    for name, t in tensors.items():
        a = _to_numpy(t)
        dt = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        if dt not in _NAMES:
            raise ValueError(f"{name}: unsupported dtype {a.dtype}")
        b = np.ascontiguousarray(a, dtype=dt).tobytes()
        header[name] = {"dtype": _NAMES[dt], "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load(path):
    """Read path into ({name: numpy array}, metadata dict), in file order."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: truncated")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(raw[8 : 8 + n].decode())
    data = raw[8 + n :]
    meta = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        dt = _DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        shape = tuple(info["shape"])
        count = int(np.prod(shape, dtype=np.int64))
        if e - b != count * dt.itemsize or e > len(data):
            raise ValueError(f"{path}: tensor {name}: bad data_offsets")
        out[name] = np.frombuffer(data, dtype=dt, count=count, offset=b).reshape(shape).copy()
    return out, meta


def load_torch(path):
    """Read path into {name: torch.Tensor} (needs torch)."""
    import torch

    tensors, _ = load(path)
    return {k: torch.from_numpy(v) for k, v in tensors.items()}
