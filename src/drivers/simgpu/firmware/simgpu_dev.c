// SPDX-License-Identifier: MIT
/*
 * The simgpu device: VRAM, registers, doorbells, the interrupt line (see
 * simgpu_dev.h).
 */
#include "simgpu_dev.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "simgpu_fw.h"

#define SIMGPU_VRAM_PAGE 4096u

void simgpu_dev_config_default(struct simgpu_dev_config *config)
{
	*config = (struct simgpu_dev_config){
		.vram_size = 64ull << 20,
		.num_cores = 2,
		.num_groups = 8,
		.queues_per_group = 4,
		.fw_version = simgpu_fw_version_newest(),
		.sysmem_size = 1ull << 30,
	};
}

static int simgpu_dev_config_check(const struct simgpu_dev_config *config)
{
	if (!config->vram_size || config->vram_size % SIMGPU_VRAM_PAGE ||
	    config->vram_size > (1ull << 40))
		return -EINVAL;
	if (!config->num_cores || config->num_cores > SIMGPU_MAX_CORES)
		return -EINVAL;
	if (!config->num_groups || config->num_groups > SIMGPU_MAX_GROUPS)
		return -EINVAL;
	if (!config->queues_per_group ||
	    config->queues_per_group > SIMGPU_MAX_QUEUES)
		return -EINVAL;
	if (!simgpu_fw_version_name(config->fw_version))
		return -EINVAL;
	if (config->sysmem_size % SIMGPU_VRAM_PAGE ||
	    config->sysmem_size > (1ull << 40))
		return -EINVAL;
	return 0;
}

/* Shows VRAM's own pages at physical [@pa, + @size) (inside VRAM). */
static int simgpu_dev_map_vram(struct simgpu_dev *dev, uint64_t pa,
			       uint64_t size)
{
	if (mmap(dev->vram + pa, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, dev->vram_fd, (off_t)pa) == MAP_FAILED)
		return -errno;
	return 0;
}

/* Puts fresh zero pages at physical [@pa, + @size) (inside the
 * aperture): an access to an empty aperture page reads zero and never
 * crashes. */
static int simgpu_dev_map_empty(struct simgpu_dev *dev, uint64_t pa,
				uint64_t size)
{
	if (mmap(dev->vram + pa, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
		 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* One virtual range for the whole physical space, so that a physical
 * address is an offset from dev->vram wherever it lies. */
static int simgpu_dev_map_phys_space(struct simgpu_dev *dev)
{
	int ret;

	dev->vram = mmap(NULL, dev->phys_size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (dev->vram == MAP_FAILED)
		return -errno;
	ret = simgpu_dev_map_vram(dev, 0, dev->vram_size);
	if (!ret && dev->phys_size > dev->vram_size)
		ret = simgpu_dev_map_empty(dev, dev->vram_size,
					   dev->phys_size - dev->vram_size);
	if (ret)
		munmap(dev->vram, dev->phys_size);
	return ret;
}

int simgpu_dev_create(const struct simgpu_dev_config *config,
		      struct simgpu_dev **out)
{
	struct simgpu_dev *dev;
	unsigned int words;
	int ret;

	ret = simgpu_dev_config_check(config);
	if (ret)
		return ret;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->config = *config;
	dev->vram_size = config->vram_size;
	dev->phys_size = config->vram_size + config->sysmem_size;
	/* One doorbell per queue slot, plus the global one. */
	dev->num_doorbells = config->num_groups * config->queues_per_group + 1;
	words = (dev->num_doorbells + 63) / 64;
	dev->doorbells = calloc(words, sizeof(*dev->doorbells));
	if (!dev->doorbells) {
		ret = -ENOMEM;
		goto err_free;
	}

	dev->vram_fd = memfd_create("simgpu-vram", MFD_CLOEXEC);
	if (dev->vram_fd < 0) {
		ret = -errno;
		goto err_doorbells;
	}
	if (ftruncate(dev->vram_fd, (off_t)dev->vram_size) < 0) {
		ret = -errno;
		goto err_memfd;
	}
	ret = simgpu_dev_map_phys_space(dev);
	if (ret)
		goto err_memfd;
	dev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (dev->irq_fd < 0) {
		ret = -errno;
		goto err_unmap;
	}
	ret = udrm_mm_init(&dev->vram_mm, 0, dev->vram_size);
	if (ret)
		goto err_irq;
	/* An empty range when there is no aperture: udrm_mm refuses size 0,
	 * so the allocator stays unset and sysmem_alloc says -ENOSPC. */
	if (config->sysmem_size) {
		ret = udrm_mm_init(&dev->sysmem_mm, dev->vram_size,
				   config->sysmem_size);
		if (ret)
			goto err_vram_mm;
	}

	pthread_mutex_init(&dev->vram_lock, NULL);
	pthread_mutex_init(&dev->wake_lock, NULL);
	simgpu_cond_init_monotonic(&dev->wake_cond);
	pthread_mutex_init(&dev->control_lock, NULL);
	*out = dev;
	return 0;

err_vram_mm:
	udrm_mm_takedown(&dev->vram_mm);
err_irq:
	close(dev->irq_fd);
err_unmap:
	munmap(dev->vram, dev->phys_size);
err_memfd:
	close(dev->vram_fd);
err_doorbells:
	free(dev->doorbells);
err_free:
	free(dev);
	return ret;
}

/* Stops and joins the firmware, if any. control_lock held. */
static void simgpu_dev_halt_locked(struct simgpu_dev *dev)
{
	if (!dev->fw)
		return;
	simgpu_fw_destroy(dev->fw);
	dev->fw = NULL;
	/* A failed boot keeps its status for the driver to read. */
	if (atomic_load(&dev->boot_status) >= 0)
		atomic_store(&dev->boot_status, SIMGPU_BOOT_HALTED);
}

void simgpu_dev_destroy(struct simgpu_dev *dev)
{
	if (!dev)
		return;
	pthread_mutex_lock(&dev->control_lock);
	simgpu_dev_halt_locked(dev);
	pthread_mutex_unlock(&dev->control_lock);

	pthread_mutex_lock(&dev->vram_lock);
	udrm_mm_takedown(&dev->vram_mm);
	if (dev->config.sysmem_size)
		udrm_mm_takedown(&dev->sysmem_mm);
	pthread_mutex_unlock(&dev->vram_lock);

	pthread_mutex_destroy(&dev->control_lock);
	pthread_cond_destroy(&dev->wake_cond);
	pthread_mutex_destroy(&dev->wake_lock);
	pthread_mutex_destroy(&dev->vram_lock);
	close(dev->irq_fd);
	munmap(dev->vram, dev->phys_size);
	close(dev->vram_fd);
	free(dev->doorbells);
	free(dev);
}

static int simgpu_dev_boot(struct simgpu_dev *dev)
{
	int ret;

	pthread_mutex_lock(&dev->control_lock);
	if (dev->fw && !simgpu_fw_exited(dev->fw)) {
		pthread_mutex_unlock(&dev->control_lock);
		return -EBUSY;
	}
	/* The previous firmware halted by itself (GLB_HALT, failed boot):
	 * join what is left of it. */
	if (dev->fw) {
		simgpu_fw_destroy(dev->fw);
		dev->fw = NULL;
	}
	atomic_store(&dev->boot_status, SIMGPU_BOOT_STARTING);
	ret = simgpu_fw_boot(dev, &dev->fw);
	if (ret)
		atomic_store(&dev->boot_status, ret);
	pthread_mutex_unlock(&dev->control_lock);
	return ret;
}

int simgpu_dev_write_reg(struct simgpu_dev *dev, enum simgpu_reg reg,
			 uint64_t value)
{
	switch (reg) {
	case SIMGPU_REG_FW_IMAGE:
		atomic_store(&dev->reg_fw_image, value);
		return 0;
	case SIMGPU_REG_SHARED:
		atomic_store(&dev->reg_shared, value);
		return 0;
	case SIMGPU_REG_SHARED_SIZE:
		atomic_store(&dev->reg_shared_size, value);
		return 0;
	case SIMGPU_REG_INJECT:
		atomic_store(&dev->inject, (unsigned int)value);
		return 0;
	case SIMGPU_REG_MMU_FLUSH:
		/* Release: the page-table writes before it are seen by a
		 * context that acquires the new value. */
		atomic_fetch_add_explicit(&dev->mmu_flush_seq, 1,
					  memory_order_release);
		return 0;
	case SIMGPU_REG_CONTROL:
		if (value == SIMGPU_CONTROL_BOOT)
			return simgpu_dev_boot(dev);
		if (value == SIMGPU_CONTROL_HALT) {
			pthread_mutex_lock(&dev->control_lock);
			simgpu_dev_halt_locked(dev);
			pthread_mutex_unlock(&dev->control_lock);
			return 0;
		}
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

uint64_t simgpu_dev_read_reg(struct simgpu_dev *dev, enum simgpu_reg reg)
{
	switch (reg) {
	case SIMGPU_REG_FW_IMAGE:
		return atomic_load(&dev->reg_fw_image);
	case SIMGPU_REG_SHARED:
		return atomic_load(&dev->reg_shared);
	case SIMGPU_REG_SHARED_SIZE:
		return atomic_load(&dev->reg_shared_size);
	case SIMGPU_REG_BOOT_STATUS:
		return (uint64_t)(int64_t)atomic_load(&dev->boot_status);
	case SIMGPU_REG_NUM_CORES:
		return dev->config.num_cores;
	case SIMGPU_REG_NUM_DOORBELLS:
		return dev->num_doorbells;
	case SIMGPU_REG_VRAM_SIZE:
		return dev->vram_size;
	case SIMGPU_REG_INJECT:
		return atomic_load(&dev->inject);
	case SIMGPU_REG_SYSMEM_SIZE:
		return dev->config.sysmem_size;
	default:
		return 0;
	}
}

int simgpu_dev_boot_status(struct simgpu_dev *dev)
{
	return atomic_load(&dev->boot_status);
}

void simgpu_dev_wake(struct simgpu_dev *dev)
{
	pthread_mutex_lock(&dev->wake_lock);
	dev->wake_seq++;
	pthread_cond_broadcast(&dev->wake_cond);
	pthread_mutex_unlock(&dev->wake_lock);
}

int simgpu_dev_ring_doorbell(struct simgpu_dev *dev, unsigned int id)
{
	if (id >= dev->num_doorbells)
		return -EINVAL;
	atomic_fetch_or(&dev->doorbells[id / 64], 1ul << (id % 64));
	simgpu_dev_wake(dev);
	return 0;
}

unsigned long simgpu_dev_take_doorbells(struct simgpu_dev *dev,
					unsigned int word)
{
	if (word >= (dev->num_doorbells + 63) / 64)
		return 0;
	return atomic_exchange(&dev->doorbells[word], 0);
}

int simgpu_dev_irq_fd(struct simgpu_dev *dev)
{
	return dev->irq_fd;
}

void simgpu_dev_raise_irq(struct simgpu_dev *dev)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is at its maximum: still raised. */
	if (write(dev->irq_fd, &one, sizeof(one)) < 0)
		return;
}

int simgpu_dev_wait_irq(struct simgpu_dev *dev, int timeout_ms)
{
	struct pollfd pfd = {.fd = dev->irq_fd, .events = POLLIN};
	uint64_t count;
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret <= 0)
		return -ETIMEDOUT;
	/* Another waiter may have taken it: that is still an interrupt. */
	if (read(dev->irq_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

int simgpu_dev_vram_alloc(struct simgpu_dev *dev, struct udrm_mm_node *node,
			  uint64_t size, uint64_t align)
{
	int ret = simgpu_dev_vram_alloc_noclear(dev, node, size, align);

	if (ret)
		return ret;
	memset(dev->vram + node->start, 0, size);
	return 0;
}

void simgpu_dev_vram_free(struct simgpu_dev *dev, struct udrm_mm_node *node)
{
	pthread_mutex_lock(&dev->vram_lock);
	udrm_mm_remove_node(node);
	pthread_mutex_unlock(&dev->vram_lock);
}

int simgpu_dev_vram_fd(struct simgpu_dev *dev)
{
	return dev->vram_fd;
}

/* Whether [@pa, + @size) is a page-aligned, non-empty range of the
 * physical space. */
static bool simgpu_dev_phys_range_ok(const struct simgpu_dev *dev, uint64_t pa,
				     uint64_t size)
{
	return size && !(pa % SIMGPU_VRAM_PAGE) && !(size % SIMGPU_VRAM_PAGE) &&
	       pa < dev->phys_size && size <= dev->phys_size - pa;
}

int simgpu_dev_phys_map(struct simgpu_dev *dev, uint64_t pa, int fd,
			uint64_t offset, uint64_t size)
{
	if (!simgpu_dev_phys_range_ok(dev, pa, size) || fd < 0 ||
	    offset % SIMGPU_VRAM_PAGE || offset > (uint64_t)INT64_MAX ||
	    size > (uint64_t)INT64_MAX - offset)
		return -EINVAL;
	if (mmap(dev->vram + pa, size, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, (off_t)offset) == MAP_FAILED)
		return -errno;
	return 0;
}

int simgpu_dev_phys_unmap(struct simgpu_dev *dev, uint64_t pa, uint64_t size)
{
	uint64_t in_vram;
	int ret = 0;

	if (!simgpu_dev_phys_range_ok(dev, pa, size))
		return -EINVAL;
	/* A range may straddle the end of VRAM: each part gets its own. */
	in_vram = pa < dev->vram_size ? dev->vram_size - pa : 0;
	if (in_vram > size)
		in_vram = size;
	if (in_vram)
		ret = simgpu_dev_map_vram(dev, pa, in_vram);
	if (!ret && size > in_vram)
		ret = simgpu_dev_map_empty(dev, pa + in_vram, size - in_vram);
	return ret;
}

/* Finds a range of @mm for @node, under vram_lock. */
static int simgpu_dev_mm_alloc(struct simgpu_dev *dev, struct udrm_mm *mm,
			       struct udrm_mm_node *node, uint64_t size,
			       uint64_t align)
{
	int ret;

	if (!align)
		align = SIMGPU_VRAM_PAGE;
	if (!size || (align & (align - 1)))
		return -EINVAL;
	pthread_mutex_lock(&dev->vram_lock);
	ret = udrm_mm_insert_node_generic(mm, node, size, align, 0,
					  UDRM_MM_INSERT_BEST);
	pthread_mutex_unlock(&dev->vram_lock);
	return ret;
}

int simgpu_dev_vram_alloc_noclear(struct simgpu_dev *dev,
				  struct udrm_mm_node *node, uint64_t size,
				  uint64_t align)
{
	return simgpu_dev_mm_alloc(dev, &dev->vram_mm, node, size, align);
}

int simgpu_dev_sysmem_alloc(struct simgpu_dev *dev, struct udrm_mm_node *node,
			    uint64_t size, uint64_t align)
{
	if (!dev->config.sysmem_size)
		return -ENOSPC;
	return simgpu_dev_mm_alloc(dev, &dev->sysmem_mm, node, size, align);
}

void simgpu_dev_sysmem_free(struct simgpu_dev *dev, struct udrm_mm_node *node)
{
	pthread_mutex_lock(&dev->vram_lock);
	udrm_mm_remove_node(node);
	pthread_mutex_unlock(&dev->vram_lock);
}

void simgpu_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int simgpu_cond_wait_until(pthread_cond_t *cond, pthread_mutex_t *lock,
			   uint64_t deadline_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(deadline_ns / 1000000000ull),
		.tv_nsec = (long)(deadline_ns % 1000000000ull),
	};

	if (deadline_ns == UINT64_MAX)
		return pthread_cond_wait(cond, lock);
	return pthread_cond_timedwait(cond, lock, &ts);
}
