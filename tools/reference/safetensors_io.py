"""A tiny safetensors reader/writer (no dependency on the `safetensors` package).

File layout: 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON
    {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
then the raw little-endian tensor data; offsets are relative to the end of the header.

The writer stores every tensor as F32 (or I64/I32 for integer tensors), sorted by name, with contiguous
offsets starting at 0, and pads the header with spaces to a multiple of 8 bytes.
The reader accepts F32, F16, BF16, F64, I64, I32 and widens floating tensors to float32 unless asked not to.
"""
import json
import struct

import numpy as np
import torch

_WRITE_DTYPES = {
    torch.float32: ("F32", np.dtype("<f4")),
    torch.int64: ("I64", np.dtype("<i8")),
    torch.int32: ("I32", np.dtype("<i4")),
}

_READ_DTYPES = {
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
}


def save_file(tensors, path, metadata=None):
    """Write {name: tensor} to `path`. Float tensors must be float32 (double is an error, to catch mistakes)."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(t)}")
        if t.dtype not in _WRITE_DTYPES:
            raise TypeError(f"{name}: dtype {t.dtype} not supported by the writer (use float32)")
        code, npdt = _WRITE_DTYPES[t.dtype]
        data = t.detach().contiguous().cpu().numpy().astype(npdt, copy=False).tobytes(order="C")
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must be str -> str, got {k!r}: {v!r}")
        header["__metadata__"] = dict(sorted(metadata.items()))
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    pad = (8 - len(hbytes) % 8) % 8
    hbytes += b" " * pad
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def load_file(path, widen=True):
    """Read a safetensors file. Returns (tensors: dict name -> torch.Tensor, metadata: dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    metadata = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = raw[base + begin : base + end]
        shape = info["shape"]
        dt = info["dtype"]
        if dt == "BF16":
            u16 = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        elif dt in _READ_DTYPES:
            arr = np.frombuffer(buf, dtype=_READ_DTYPES[dt])
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
        arr = arr.reshape(shape)
        if widen and arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        out[name] = torch.from_numpy(arr.copy())
    return out, metadata
