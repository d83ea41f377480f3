"""Zip archives as tests need them: plain, password-protected, and lying about a size."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def zip_bytes(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


def encrypted_zip(members: list[tuple[str, bytes]], password: bytes) -> bytes:
    """A zip whose members are stored and encrypted with ZipCrypto, the "traditional
    PKWARE encryption" every zip tool offers behind a password (zipfile only decrypts)."""
    local, central = bytearray(), bytearray()
    for name, data in members:
        crc = zlib.crc32(data)
        # The 12-byte header ends with the CRC's top byte, which a reader checks first.
        secret = _zipcrypto(bytes(range(11)) + bytes([crc >> 24]) + data, password)
        encoded = name.encode()
        sizes = (crc, len(secret), len(data), len(encoded))
        central += struct.pack(
            "<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 1, 0, 0, 0x21, *sizes, 0, 0, 0, 0, 0, len(local)
        )
        central += encoded
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 1, 0, 0, 0x21, *sizes, 0)
        local += encoded + secret
    end = struct.pack(
        "<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0
    )
    return bytes(local + central + end)


def _zipcrypto(plain: bytes, password: bytes) -> bytes:
    keys = [0x12345678, 0x23456789, 0x34567890]

    def crc(value: int, byte: int) -> int:  # one step of CRC-32, without zlib's inversions
        return zlib.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(byte: int) -> None:
        keys[0] = crc(keys[0], byte)
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = crc(keys[2], keys[1] >> 24)

    for byte in password:
        update(byte)
    out = bytearray()
    for byte in plain:
        k = keys[2] | 2
        out.append(byte ^ (((k * (k ^ 1)) >> 8) & 0xFF))
        update(byte)
    return bytes(out)


def declare_size(archive: bytes, size: int) -> bytes:
    """``archive`` (one member) with the member's uncompressed size written as ``size``
    in both its headers, as a zip made to exhaust a reader's memory does."""
    data = bytearray(archive)
    struct.pack_into("<I", data, 22, size)  # local file header
    struct.pack_into("<I", data, data.rindex(b"PK\x01\x02") + 24, size)  # central directory
    return bytes(data)
