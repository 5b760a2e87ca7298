#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz-ioctl (tests/fuzz/corpus/).

Each seed is a short program in the fuzzer's input language (see the
operation decoders in fuzz_ioctl.c): an opcode byte, then its operands.
The seeds walk the paths a real client takes (open, version, caps, dumb
buffer create/map/mmap/destroy, flink/open, PRIME export/import, master
and auth; for KMS a full atomic modeset, page flips, fences, writeback,
the legacy entry points, vblank waits and leases), so the fuzzer starts
from deep states instead of finding them. KMS objects are named by role
and properties by name (the fuzzer's catalogue), not by id.

Usage: gen-corpus.py [--pending] [OUTPUT_DIR]
    (default: the corpus/ beside this file; --pending adds the seeds that
    reproduce bugs not fixed yet)
"""
import os
import struct
import sys

# Opcodes: enum fuzz_op, in order.
(OPEN, CLOSE, RANDOM_IOCTL, RANDOM_DRM_IOCTL, VERSION, GET_UNIQUE, GET_MAGIC,
 AUTH_MAGIC, SET_MASTER, DROP_MASTER, GET_CAP, SET_CLIENT_CAP, SET_VERSION,
 GEM_CLOSE, GEM_FLINK, GEM_OPEN, PRIME_EXPORT, PRIME_IMPORT, CREATE_DUMB,
 MAP_DUMB, DESTROY_DUMB, MMAP, READ, CLOSE_FD, FOREIGN_BUFFER,
 TOUCH_MAPPING,
 KMS_CAPS, GETRESOURCES, GETPLANERESOURCES, GET_OBJECT, GETPROPERTY,
 OBJ_GETPROPERTIES, SETPROPERTY, CREATE_BLOB, GET_BLOB, DESTROY_BLOB, ADDFB,
 ADDFB2, RMFB, GETFB, DIRTYFB, SETCRTC, SETPLANE, CURSOR, PAGE_FLIP, GAMMA,
 ATOMIC, WAIT_VBLANK, SEQUENCE, CREATE_LEASE, LEASE_QUERY,
 READ_EVENTS) = range(52)

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


# ---- KMS ----

LESSEE0 = 6      # fuzz_pick_file(): the first lessee file
AREA = 0x00      # fuzz_array_ptr(): the array's own scratch area
ENOUGH = 0x80    # fuzz_count(): room for every entry
QUERY = 0x00     # fuzz_count(): zero, a size query

# fuzz_pick_kms_obj(): objects by role (enum fuzz_kms_role).
(R_CRTC, R_PRIMARY, R_CURSOR, R_OVERLAY, R_CONNECTOR, R_WRITEBACK,
 R_ENCODER) = range(7)

# fuzz_pick_kms_prop(): properties by index in fuzz_prop_names[].
PROP_NAMES = [
    'ACTIVE', 'MODE_ID', 'OUT_FENCE_PTR', 'CRTC_ID', 'FB_ID', 'SRC_X',
    'SRC_Y', 'SRC_W', 'SRC_H', 'CRTC_X', 'CRTC_Y', 'CRTC_W', 'CRTC_H',
    'IN_FENCE_FD', 'WRITEBACK_FB_ID', 'WRITEBACK_OUT_FENCE_PTR', 'GAMMA_LUT',
    'DEGAMMA_LUT', 'CTM', 'VRR_ENABLED', 'rotation', 'alpha',
    'pixel blend mode', 'zpos', 'COLOR_ENCODING', 'COLOR_RANGE',
    'FB_DAMAGE_CLIPS', 'DPMS', 'link-status', 'BACKGROUND_COLOR', 'type',
    'IN_FORMATS',
]


def prop(name):
    return PROP_NAMES.index(name)


# fuzz_pick_value() encodings.
def v_small(v):         # -1..30
    return bytes([0x80 + v + 1])


def v_fb(i=0):          # the i-th framebuffer the input made
    return bytes([0x40 + i])


def v_blob(i=0):        # the i-th blob
    return bytes([0x60 + i])


def v_role(r):          # the id of an object by role
    return bytes([0x70 + r])


def v_fixed16(v):       # v << 16 (16.16 source coordinates)
    return bytes([0xa0]) + u16(v)


def v_u16(v):
    return bytes([0xb0]) + u16(v)


def v_slot(i):          # OUT_FENCE_PTR and co: fence slot i
    return bytes([i])


def dim(v):             # fuzz_dim()
    return bytes([0x40]) + u16(v)


# fuzz_op_atomic() flag bits
TEST_ONLY, NONBLOCK, ALLOW_MODESET, FLIP_EVENT = 0x01, 0x02, 0x04, 0x08


def op_kms_caps(f):
    return bytes([KMS_CAPS, f, 0])  # universal planes, atomic, writeback...


def op_getresources(f, count=ENOUGH):
    return bytes([GETRESOURCES, f, EXACT, ARG]) + bytes([count, AREA]) * 4


def op_getplaneresources(f):
    return bytes([GETPLANERESOURCES, f, EXACT, ARG, ENOUGH, AREA])


def op_get_object(f, which, obj):
    tail = {0: b'', 1: b'', 2: bytes([ENOUGH, AREA]),
            3: bytes([ENOUGH] * 3 + [AREA] * 4 + [0])}[which]
    return bytes([GET_OBJECT, f, which, obj, EXACT, ARG]) + tail


def op_getproperty(f, obj, name):
    return bytes([GETPROPERTY, f, EXACT, ARG, obj, prop(name), ENOUGH,
                  ENOUGH, AREA, AREA])


def op_obj_getproperties(f, obj):
    return bytes([OBJ_GETPROPERTIES, f, EXACT, ARG, obj, 0, ENOUGH, AREA,
                  AREA])


def op_setproperty(f, obj, name, value, legacy=False):
    return bytes([SETPROPERTY, f, 1 if legacy else 0, EXACT, ARG, obj, 0,
                  prop(name)]) + value


def op_blob_mode(f, fast=False):
    # fuzz_blob_data(): kind 0, fuzz_pick_mode(): 1024x768@60 or 64x48@1000
    return bytes([CREATE_BLOB, f, EXACT, ARG, 0, 0x20 if fast else 0, AREA])


def op_blob_gamma(f):
    # kind 1: a ramp of the CRTC's gamma size
    return bytes([CREATE_BLOB, f, EXACT, ARG, 1]) + u16(0) + bytes([0, AREA])


def op_get_blob(f, blob=0):
    return bytes([GET_BLOB, f, EXACT, ARG, blob, ENOUGH, AREA])


def op_destroy_blob(f, blob=0):
    return bytes([DESTROY_BLOB, f, EXACT, ARG, blob])


def op_addfb(f, obj=0):
    return bytes([ADDFB, f, EXACT, ARG, obj, 0x01])  # depth 24


def op_addfb2(f, obj=0, fmt=0):
    # The dumb buffer's own geometry; format fmt of its bpp (0: XRGB8888).
    return bytes([ADDFB2, f, EXACT, ARG, obj, 0x00, fmt, 0])


def op_rmfb(f, fb=0, close=False):
    return bytes([RMFB, f, 1 if close else 0, EXACT, ARG, fb, 0])


def op_getfb(f, fb=0, v2=False):
    return bytes([GETFB, f, 1 if v2 else 0, EXACT, ARG, fb])


def op_dirtyfb(f, fb=0):
    clip = dim(0) + dim(0) + dim(64) + dim(64)
    return bytes([DIRTYFB, f, EXACT, ARG, fb, 0, 0, ENOUGH, AREA]) + clip * 4


def op_setcrtc(f, fb=0, connectors=(R_CONNECTOR,)):
    return bytes([SETCRTC, f, EXACT, ARG, R_CRTC, fb]) + dim(0) + dim(0) + \
        bytes([len(connectors)]) + bytes(connectors) + \
        bytes([0, AREA, 0x00, 0x00])  # mode_valid, 1024x768@60


def op_setplane(f, plane, fb, w, h):
    return bytes([SETPLANE, f, EXACT, ARG, plane, R_CRTC, fb, 0]) + \
        dim(0) + dim(0) + dim(w) + dim(h) + dim(0) + dim(0) + dim(w) + dim(h)


def op_cursor(f, handle=0, v2=False):
    return bytes([CURSOR, f, 1 if v2 else 0, EXACT, ARG, R_CRTC, 0x03,
                  handle]) + dim(100) + dim(100) + (b'\x10\x10' if v2 else b'')


def op_page_flip(f, fb=0, event=True, read=False):
    return bytes([PAGE_FLIP, f, EXACT, ARG, R_CRTC, fb, 1 if event else 0,
                  1 if read else 0])


def op_gamma(f, set_):
    return bytes([GAMMA, f, 1 if set_ else 0, EXACT, ARG, R_CRTC, 0]) + \
        u16(0x1234) + bytes([AREA] * 3)


def op_atomic(f, flags, objs, read=False):
    out = bytes([ATOMIC, f, EXACT, ARG, flags, len(objs)])
    for obj, props in objs:
        out += bytes([obj, len(props)])
        for name, value in props:
            out += bytes([prop(name)]) + value
    return out + bytes([0] + [AREA] * 4 + [1 if read else 0])


def op_wait_vblank(f, event, seq):
    # relative; blocking waits are kept to the next vblank by the fuzzer
    return bytes([WAIT_VBLANK, f, EXACT, ARG, 0x01 | (0x02 if event else 0),
                  seq])


def op_sequence(f, queue):
    return bytes([SEQUENCE, f, 1 if queue else 0, EXACT, ARG, R_CRTC]) + \
        (bytes([0x05]) if queue else b'')  # relative, next vblank


def op_create_lease(f, objs):
    return bytes([CREATE_LEASE, f, len(objs)]) + bytes(objs) + \
        bytes([0, AREA, 0x01])  # O_CLOEXEC


def op_list_lessees(f):
    return bytes([LEASE_QUERY, f, 0, EXACT, ARG, ENOUGH, AREA])


def op_get_lease(f):
    return bytes([LEASE_QUERY, f, 1, EXACT, ARG, ENOUGH, AREA])


def op_revoke_lease(f, lessee=0):
    return bytes([LEASE_QUERY, f, 2, EXACT, ARG, lessee])


def op_read_events(f):
    return bytes([READ_EVENTS, f, 0])


def plane_props(fb, w, h):
    return [('FB_ID', v_fb(fb)), ('CRTC_ID', v_role(R_CRTC)),
            ('SRC_X', v_small(0)), ('SRC_Y', v_small(0)),
            ('SRC_W', v_fixed16(w)), ('SRC_H', v_fixed16(h)),
            ('CRTC_X', v_small(0)), ('CRTC_Y', v_small(0)),
            ('CRTC_W', v_u16(w)), ('CRTC_H', v_u16(h))]


def kms_setup(f=0):
    """A master with the caps, a 1024x768 XRGB8888 framebuffer and the
    1024x768@60 mode as a blob."""
    return op_open(f, VKMS | O_RDWR) + op_kms_caps(f) + op_getresources(f) \
        + op_getplaneresources(f) + op_create_dumb(f, 1024, 768) \
        + op_addfb2(f) + op_blob_mode(f)


def kms_modeset(f=0, flags=ALLOW_MODESET, extra=()):
    return op_atomic(f, flags, [
        (R_CRTC, [('ACTIVE', v_small(1)), ('MODE_ID', v_blob(0))]),
        (R_CONNECTOR, [('CRTC_ID', v_role(R_CRTC))]),
        (R_PRIMARY, plane_props(0, 1024, 768)),
    ] + list(extra))


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


SEEDS['kms-atomic-modeset'] = (
    kms_setup() + kms_modeset(flags=ALLOW_MODESET | TEST_ONLY) + kms_modeset()
    + op_page_flip(0) + op_wait_vblank(0, False, 1) + op_read_events(0)
    + op_atomic(0, NONBLOCK | FLIP_EVENT,
                [(R_PRIMARY, [('FB_ID', v_fb(0))])], read=True)
    + op_read_events(0) + op_close(0))

# OUT_FENCE_PTR and WRITEBACK_OUT_FENCE_PTR, IN_FENCE_FD, then everything
# off (out-fences once put their names twice: heap-use-after-free).
SEEDS['kms-fences-writeback'] = (
    kms_setup() + op_create_dumb(0, 1024, 768) + op_addfb2(0, 0x01)
    + kms_modeset(flags=ALLOW_MODESET | NONBLOCK | FLIP_EVENT, extra=[
        (R_CRTC, [('OUT_FENCE_PTR', v_slot(0))]),
        (R_WRITEBACK, [('CRTC_ID', v_role(R_CRTC)),
                       ('WRITEBACK_FB_ID', v_fb(1)),
                       ('WRITEBACK_OUT_FENCE_PTR', v_slot(1))])])
    + op_read_events(0)
    + op_atomic(0, 0, [(R_PRIMARY, [('FB_ID', v_fb(1)),
                                    ('IN_FENCE_FD', bytes([0xc0]))])])
    + op_read_events(0)
    + op_atomic(0, ALLOW_MODESET, [
        (R_CRTC, [('ACTIVE', v_small(0)), ('MODE_ID', v_small(0))]),
        (R_CONNECTOR, [('CRTC_ID', v_small(0))]),
        (R_PRIMARY, [('FB_ID', v_small(0)), ('CRTC_ID', v_small(0))])])
    + op_close(0))

# Seeds that reproduce a bug not fixed yet: written only with --pending
# (the replay test would fail on them). Move each into SEEDS with its fix.
PENDING = {}

SEEDS['kms-legacy'] = (
    op_open(0, VKMS | O_RDWR) + op_getresources(0)
    + op_create_dumb(0, 1024, 768) + op_addfb(0) + op_setcrtc(0)
    + op_create_dumb(0, 256, 256) + op_addfb2(0, 0x01)
    + op_kms_caps(0) + op_getplaneresources(0)
    + op_setplane(0, R_OVERLAY, 1, 256, 256)
    + op_create_dumb(0, 64, 64) + op_cursor(0, 0x02)
    + op_cursor(0, 0x02, v2=True) + op_gamma(0, True) + op_gamma(0, False)
    + op_page_flip(0, 0, read=False) + op_dirtyfb(0) + op_getfb(0)
    + op_getfb(0, v2=True) + op_setproperty(0, R_CONNECTOR, 'DPMS',
                                             v_small(3), legacy=True)
    + op_rmfb(0, 1) + op_rmfb(0, 0, close=True) + op_close(0))

SEEDS['kms-queries'] = (
    op_open(0, VKMS | O_RDWR) + op_kms_caps(0) + op_blob_mode(0)
    + op_blob_gamma(0) + op_getresources(0, QUERY)
    + op_getresources(0) + op_getplaneresources(0)
    + b''.join(op_get_object(0, w, o) for w, o in
               [(0, R_CRTC), (1, R_ENCODER), (2, R_PRIMARY), (2, R_CURSOR),
                (3, R_CONNECTOR), (3, R_WRITEBACK)])
    + b''.join(op_obj_getproperties(0, o) for o in
               (R_CRTC, R_PRIMARY, R_CONNECTOR, R_WRITEBACK))
    + op_getproperty(0, R_PRIMARY, 'type')
    + op_getproperty(0, R_PRIMARY, 'IN_FORMATS')
    + op_getproperty(0, R_CRTC, 'OUT_FENCE_PTR')
    + op_getproperty(0, R_CONNECTOR, 'DPMS')
    + op_get_blob(0, 0) + op_get_blob(0, 1) + op_get_blob(0, 2)
    + op_setproperty(0, R_CRTC, 'GAMMA_LUT', v_blob(1))
    + op_destroy_blob(0, 0)
    + op_get_object(0, 0, R_CRTC) + op_close(0))

SEEDS['kms-fast-mode'] = (
    op_open(0, VKMS | O_RDWR) + op_kms_caps(0) + op_create_dumb(0, 64, 48)
    + op_addfb2(0) + op_blob_mode(0, fast=True)
    + op_atomic(0, ALLOW_MODESET, [
        (R_CRTC, [('ACTIVE', v_small(1)), ('MODE_ID', v_blob(0))]),
        (R_CONNECTOR, [('CRTC_ID', v_role(R_CRTC))]),
        (R_PRIMARY, plane_props(0, 64, 48))])
    + op_atomic(0, NONBLOCK | FLIP_EVENT,
                [(R_PRIMARY, [('FB_ID', v_fb(0))])])
    + op_wait_vblank(0, False, 1) + op_read_events(0)
    + op_page_flip(0, 0, read=True) + op_close(0))

SEEDS['kms-vblank-sequence'] = (
    kms_setup() + kms_modeset() + op_wait_vblank(0, True, 1)
    + op_sequence(0, False) + op_sequence(0, True)
    + op_wait_vblank(0, False, 1) + op_read_events(0) + op_close(0))

SEEDS['kms-lease'] = (
    op_open(0, VKMS | O_RDWR) + op_kms_caps(0) + op_getresources(0)
    + op_create_lease(0, [R_CRTC, R_CONNECTOR, R_PRIMARY])
    + op_list_lessees(0) + op_kms_caps(LESSEE0) + op_get_lease(LESSEE0)
    + op_getresources(LESSEE0) + op_create_dumb(LESSEE0, 1024, 768)
    + op_addfb2(LESSEE0) + op_blob_mode(LESSEE0)
    + kms_modeset(LESSEE0, flags=ALLOW_MODESET | TEST_ONLY)
    + op_revoke_lease(0) + op_get_lease(LESSEE0) + op_close(0))


def main():
    args = [a for a in sys.argv[1:] if a != '--pending']
    seeds = dict(SEEDS)
    if '--pending' in sys.argv[1:]:
        seeds.update(PENDING)
    out = args[0] if args else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
