/* SPDX-License-Identifier: MIT */
/*
 * DRM master and authentication, as the kernel's drm_auth.c.
 *
 * A master is the set of clients that authenticated against one master
 * file: the primary node's first opener creates one and becomes current
 * master; later openers hold a reference to the current master and join it
 * by GET_MAGIC in the client and AUTH_MAGIC in the master. All functions
 * take dev->lock themselves unless named _locked.
 */
#ifndef UDRM_CORE_AUTH_H
#define UDRM_CORE_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "idr.h"

struct udrm_device;
struct udrm_file;
struct udrm_lease;

struct udrm_master {
	int refcount; /* dev->lock */
	struct udrm_device *dev;
	struct udrm_idr magic_map; /* magic -> file awaiting AUTH_MAGIC */
	char *unique;		   /* bus id once SET_VERSION >= 1.1 */
	/* Leases (kms/lease.c, under kms->lock): NULL for a plain master. */
	struct udrm_lease *lease;
};

/* A new master with one reference (kms/lease.c makes lessees with it);
 * NULL on ENOMEM. Get/put with dev->lock held. */
struct udrm_master *udrm_master_create(struct udrm_device *dev);
struct udrm_master *udrm_master_get_locked(struct udrm_master *master);
void udrm_master_put_locked(struct udrm_master **master);
/* The master at the top of @master's lease tree: @master itself unless it
 * is a lessee (kms/lease.c). */
struct udrm_master *udrm_lease_owner(struct udrm_master *master);

/* On open of a primary node: become master if there is none. */
int udrm_master_open(struct udrm_file *file);
/* On close: forget the magic, drop master if current. */
void udrm_master_release(struct udrm_file *file);
bool udrm_is_current_master_locked(const struct udrm_file *file);
bool udrm_is_current_master(struct udrm_file *file);

int udrm_getmagic_ioctl(struct udrm_device *dev, void *data,
			struct udrm_file *file);
int udrm_authmagic_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file);
int udrm_setmaster_ioctl(struct udrm_device *dev, void *data,
			 struct udrm_file *file);
int udrm_dropmaster_ioctl(struct udrm_device *dev, void *data,
			  struct udrm_file *file);

#endif
