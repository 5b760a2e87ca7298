#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz-ioctl (tests/fuzz/corpus/).

Each seed is a short program in the fuzzer's input language (see the
operation decoders in fuzz_ioctl.c): an opcode byte, then its operands.
The seeds walk the paths a real client takes (open, version, caps, dumb
buffer create/map/mmap/destroy, flink/open, PRIME export/import, master
and auth), so the fuzzer starts from deep states instead of finding them.

Usage: gen-corpus.py [OUTPUT_DIR]   (default: the corpus/ beside this file)
"""
import os
import struct
import sys

# Opcodes: enum fuzz_op, in order.
(OPEN, CLOSE, RANDOM_IOCTL, RANDOM_DRM_IOCTL, VERSION, GET_UNIQUE, GET_MAGIC,
 AUTH_MAGIC, SET_MASTER, DROP_MASTER, GET_CAP, SET_CLIENT_CAP, SET_VERSION,
 GEM_CLOSE, GEM_FLINK, GEM_OPEN, PRIME_EXPORT, PRIME_IMPORT, CREATE_DUMB,
 MAP_DUMB, DESTROY_DUMB, MMAP, READ, CLOSE_FD, FOREIGN_BUFFER,
 TOUCH_MAPPING) = range(26)

# fuzz_op_open() "how" byte: device, node, access mode, flags.
VKMS, VGEM = 0, 1
RENDER = 0x04
O_RDONLY, O_RDWR = 0x00, 0x10
NONBLOCK = 0x20

EXACT = 0       # fuzz_known_cmd(): the ioctl's own number
ARG = 0x02      # fuzz_pick_arg(): scratch + 16
RING0 = 0       # fuzz_pick_from(): first remembered value
PTR_OK = 0x05   # fuzz_pick_ptr(): inside the scratch area (u16 follows)


def u16(v):
    return struct.pack('<H', v)


def u32(v):
    return struct.pack('<I', v)


def u64(v):
    return struct.pack('<Q', v)


def op_open(slot, how):
    return bytes([OPEN, slot, how])


def op_close(slot):
    return bytes([CLOSE, slot])


def op_version(f):
    v = struct.pack('<iii4xQQQQQQ', 0, 0, 0, 16, 0, 16, 0, 32, 0)
    ptrs = bytes([PTR_OK]) + u16(1024) + bytes([PTR_OK]) + u16(2048) + \
        bytes([PTR_OK]) + u16(3072)
    return bytes([VERSION, f, EXACT, ARG]) + v + ptrs


def op_get_unique(f):
    u = struct.pack('<Q Q', 64, 0)
    return bytes([GET_UNIQUE, f, EXACT, ARG]) + u + bytes([PTR_OK]) + u16(4096)


def op_get_cap(f, cap):
    return bytes([GET_CAP, f, EXACT, ARG, cap]) + u64(0)


def op_set_client_cap(f, cap, value):
    return bytes([SET_CLIENT_CAP, f, EXACT, ARG, cap, value])


def op_set_version(f, di_major, di_minor, dd_major, dd_minor):
    # fuzz_small_int(): (byte & 7) - 1
    return bytes([SET_VERSION, f, EXACT, ARG, di_major + 1, di_minor + 1,
                  dd_major + 1, dd_minor + 1])


def op_create_dumb(f, width, height, bpp=32):
    return bytes([CREATE_DUMB, f, EXACT, ARG, bpp // 8 - 1]) + \
        u16(width) + u16(height)


def op_map_dumb(f, handle_sel=RING0):
    return bytes([MAP_DUMB, f, EXACT, ARG, handle_sel, 0])


def op_mmap(f, mapping_sel=0, prot=0, flags=0, keep=False):
    return bytes([MMAP, f, mapping_sel, prot, flags, 0, 1 if keep else 0])


def op_touch(live_sel, value, offset):
    return bytes([TOUCH_MAPPING]) + u16(live_sel) + bytes([value]) + \
        u32(offset)


def op_destroy_dumb(f, handle_sel=RING0):
    return bytes([DESTROY_DUMB, f, EXACT, ARG, handle_sel])


def op_gem_close(f, handle_sel=RING0):
    return bytes([GEM_CLOSE, f, EXACT, ARG, handle_sel, 0])


def op_flink(f, handle_sel=RING0):
    return bytes([GEM_FLINK, f, EXACT, ARG, handle_sel])


def op_gem_open(f, name_sel=RING0):
    return bytes([GEM_OPEN, f, EXACT, ARG, name_sel])


def op_export(f, handle_sel=RING0, rdwr=True):
    return bytes([PRIME_EXPORT, f, handle_sel, 0x02 if rdwr else 0x00])


def op_import(f, fd_sel=0):
    return bytes([PRIME_IMPORT, f, EXACT, ARG, fd_sel, 0])


def op_get_magic(f):
    return bytes([GET_MAGIC, f, EXACT, ARG])


def op_auth_magic(f, magic_sel=RING0):
    return bytes([AUTH_MAGIC, f, EXACT, ARG, magic_sel])


def op_master(f, drop):
    return bytes([DROP_MASTER if drop else SET_MASTER, f, EXACT, 0])


def op_read(f, length):
    return bytes([READ, f]) + u16(length) + bytes([PTR_OK]) + u16(0)


def op_random_drm(f, nr, size, direction=3, payload=b''):
    return bytes([RANDOM_DRM_IOCTL, f, direction, nr]) + u16(size) + \
        u16(len(payload)) + bytes([PTR_OK]) + u16(256) + payload


def op_foreign(pages, readonly=False):
    return bytes([FOREIGN_BUFFER, (pages & 0x3f) | (0x80 if readonly else 0)])


SEEDS = {
    'open-close': op_open(0, VKMS | O_RDWR) + op_open(1, VGEM | RENDER | O_RDWR)
    + op_close(0) + op_close(1),
    'version-caps': op_open(0, VKMS | O_RDWR) + op_version(0)
    + op_get_unique(0) + b''.join(op_get_cap(0, c) for c in range(0x16))
    + op_set_client_cap(0, 1, 1) + op_set_client_cap(0, 3, 1)
    + op_set_client_cap(0, 2, 1) + op_set_client_cap(0, 5, 1),
    'render-version': op_open(2, VGEM | RENDER | O_RDWR | NONBLOCK)
    + op_version(2) + op_get_cap(2, 0x5) + op_read(2, 4096),
    'set-version': op_open(0, VKMS | O_RDWR) + op_set_version(0, 1, 4, 1, 0)
    + op_get_unique(0) + op_set_version(0, -1, -1, -1, -1),
    'dumb-lifecycle': op_open(0, VKMS | O_RDWR) + op_create_dumb(0, 64, 64)
    + op_map_dumb(0) + op_mmap(0) + op_mmap(0, prot=1) + op_destroy_dumb(0)
    + op_mmap(0),
    'dumb-readonly-file': op_open(0, VKMS | O_RDONLY)
    + op_create_dumb(0, 16, 16) + op_map_dumb(0) + op_mmap(0),
    'flink-open': op_open(0, VKMS | O_RDWR) + op_open(1, VKMS | O_RDWR)
    + op_get_magic(1) + op_auth_magic(0) + op_create_dumb(0, 32, 32)
    + op_flink(0) + op_gem_open(1) + op_gem_close(0) + op_map_dumb(1, 0x01)
    + op_mmap(1) + op_close(0),
    'prime-foreign': op_open(1, VGEM | RENDER | O_RDWR) + op_foreign(3)
    + op_import(1) + op_foreign(2, readonly=True) + op_import(1, 0x01)
    + op_export(1) + op_close(1),
    'master-dance': op_open(0, VKMS | O_RDWR) + op_open(1, VKMS | O_RDWR)
    + op_master(1, False) + op_master(0, True) + op_master(1, False)
    + op_master(1, True) + op_master(0, False) + op_get_magic(1)
    + op_auth_magic(0) + op_close(0) + op_master(1, False),
    'random-ioctls': op_open(0, VKMS | O_RDWR)
    + op_random_drm(0, 0x00, 64, 3, bytes(64))
    + op_random_drm(0, 0x0c, 16, 3, u64(1) + u64(0))
    + op_random_drm(0, 0xb2, 32, 3, u32(8) + u32(8) + u32(32) + bytes(20))
    + op_random_drm(0, 0x40, 8, 1, bytes(8))
    + bytes([RANDOM_IOCTL, 0]) + u32(0x5401) + bytes([0]) + u16(8)
    + bytes([PTR_OK]) + u16(0) + bytes(8),
}

SEEDS['mapping-survives-export'] = (
    op_open(0, VKMS | O_RDWR) + op_open(1, VKMS | O_RDWR)
    + op_create_dumb(0, 64, 64) + op_create_dumb(0, 64, 64)
    + op_map_dumb(0, 0x01) + op_mmap(0, keep=True) + op_mmap(0, keep=True)
    + op_touch(0, 0x11, 100) + op_export(0, 0x01) + op_touch(1, 0x22, 200)
    + op_touch(0, 0x33, 5000) + op_get_magic(1) + op_auth_magic(0)
    + op_flink(0, 0x01) + op_gem_open(1)
    + op_map_dumb(1, 0x02) + op_mmap(1, 0x01, keep=True)
    + op_touch(2, 0x44, 300) + op_destroy_dumb(0, 0x01)
    + op_touch(0, 0x55, 400))

SEEDS['prime-cross-device'] = (
    op_open(0, VKMS | O_RDWR) + op_open(1, VGEM | RENDER | O_RDWR)
    + op_create_dumb(0, 100, 20, 16) + op_map_dumb(0) + op_mmap(0)
    + op_export(0) + op_import(1) + op_mmap(0) + op_import(0)
    + op_export(1, 0x01) + op_gem_close(0) + bytes([CLOSE_FD, 0])
    + op_close(0) + op_close(1))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
