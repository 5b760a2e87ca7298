// SPDX-License-Identifier: MIT
/* The interposer's fd table: sharing, last-close release, ranges, and
 * lock-free lookups racing with changes. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "fdtable.h"

struct fake_file {
	atomic_int alive;
	atomic_int releases;
	int id;
};

static void fake_release(struct ipfd_table *table, struct ipfd_entry *entry)
{
	struct fake_file *f = entry->file;

	(void)table;
	atomic_store(&f->alive, 0);
	atomic_fetch_add(&f->releases, 1);
}

static struct ipfd_table *table_new(void)
{
	struct ipfd_table *t = malloc(sizeof(*t));

	assert_non_null(t);
	ipfd_table_init(t, fake_release);
	return t;
}

static void table_free(struct ipfd_table *t)
{
	ipfd_table_fini(t);
	free(t);
}

/* Installs a new entry for @f at @fd and drops the creation reference, as
 * open() does. */
static struct ipfd_entry *install_new(struct ipfd_table *t, int fd,
				      struct fake_file *f)
{
	struct ipfd_entry *e = ipfd_entry_new(t, f, NULL);

	assert_non_null(e);
	atomic_store(&f->alive, 1);
	assert_int_equal(ipfd_install(t, fd, e), 0);
	ipfd_put(t, e);
	return e;
}

static void test_empty_table_has_no_entries(void **state)
{
	struct ipfd_table *t = table_new();

	(void)state;
	assert_null(ipfd_get(t, 0));
	assert_null(ipfd_get(t, 5000));
	assert_null(ipfd_get(t, -1));
	assert_false(ipfd_present(t, 3));
	assert_false(ipfd_remove(t, 3));
	table_free(t);
}

static void test_install_then_get_returns_the_file(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f = {.id = 1};
	struct ipfd_entry *e;

	(void)state;
	install_new(t, 7, &f);
	e = ipfd_get(t, 7);
	assert_non_null(e);
	assert_ptr_equal(e->file, &f);
	ipfd_put(t, e);
	assert_int_equal(atomic_load(&f.releases), 0);
	assert_null(ipfd_get(t, 6));
	assert_true(ipfd_remove(t, 7));
	/* The last close releases the file exactly once. */
	assert_int_equal(atomic_load(&f.releases), 1);
	assert_null(ipfd_get(t, 7));
	table_free(t);
}

static void test_dup_shares_and_last_close_releases(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f = {.id = 1};
	struct ipfd_entry *e;

	(void)state;
	install_new(t, 3, &f);
	e = ipfd_get(t, 3);
	assert_int_equal(ipfd_install(t, 10, e), 0);   /* dup(3) == 10 */
	assert_int_equal(ipfd_install(t, 2000, e), 0); /* another chunk */
	ipfd_put(t, e);
	assert_true(ipfd_remove(t, 3));
	assert_int_equal(atomic_load(&f.releases), 0);
	assert_true(ipfd_remove(t, 2000));
	assert_int_equal(atomic_load(&f.releases), 0);
	e = ipfd_get(t, 10);
	assert_non_null(e);
	assert_ptr_equal(e->file, &f);
	ipfd_put(t, e);
	assert_true(ipfd_remove(t, 10));
	assert_int_equal(atomic_load(&f.releases), 1);
	table_free(t);
}

static void test_install_over_an_entry_drops_it(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file a = {.id = 1}, b = {.id = 2};
	struct ipfd_entry *e;

	(void)state;
	install_new(t, 4, &a);
	install_new(t, 4, &b); /* dup2(b, 4) */
	assert_int_equal(atomic_load(&a.releases), 1);
	e = ipfd_get(t, 4);
	assert_ptr_equal(e->file, &b);
	ipfd_put(t, e);
	table_free(t);
	/* fini releases what is still installed */
	assert_int_equal(atomic_load(&b.releases), 1);
}

static void test_reference_outlives_close(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f = {.id = 1};
	struct ipfd_entry *e;

	(void)state;
	install_new(t, 5, &f);
	e = ipfd_get(t, 5);		/* an ioctl in flight */
	assert_true(ipfd_remove(t, 5)); /* another thread closes */
	assert_int_equal(atomic_load(&f.releases), 0);
	assert_int_equal(atomic_load(&f.alive), 1);
	ipfd_put(t, e);
	assert_int_equal(atomic_load(&f.releases), 1);
	table_free(t);
}

static void test_close_range_drops_only_its_range(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f[5] = {
		{.id = 0}, {.id = 1}, {.id = 2}, {.id = 3}, {.id = 4}};
	const int fds[5] = {3, 4, 1030, 5000, 70000};
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		install_new(t, fds[i], &f[i]);
	assert_int_equal(atomic_load(&t->count), 5);
	assert_int_equal(ipfd_remove_range(t, 4, 5000), 3);
	assert_true(ipfd_present(t, 3));
	assert_false(ipfd_present(t, 4));
	assert_false(ipfd_present(t, 1030));
	assert_false(ipfd_present(t, 5000));
	assert_true(ipfd_present(t, 70000));
	assert_int_equal(atomic_load(&f[1].releases), 1);
	assert_int_equal(atomic_load(&f[0].releases), 0);
	/* close_range(3, ~0U) */
	assert_int_equal(ipfd_remove_range(t, 3, ~0u), 2);
	assert_int_equal(atomic_load(&t->count), 0);
	assert_int_equal(ipfd_remove_range(t, 10, 2), 0);
	table_free(t);
}

static void test_range_shared_entry_released_once(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f = {.id = 1};
	struct ipfd_entry *e;

	(void)state;
	install_new(t, 20, &f);
	e = ipfd_get(t, 20);
	ipfd_install(t, 21, e);
	ipfd_install(t, 22, e);
	ipfd_put(t, e);
	assert_int_equal(ipfd_remove_range(t, 0, 100), 3);
	assert_int_equal(atomic_load(&f.releases), 1);
	table_free(t);
}

static void test_bad_fds_are_refused(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file f = {.id = 1};
	struct ipfd_entry *e = ipfd_entry_new(t, &f, NULL);

	(void)state;
	assert_int_equal(ipfd_install(t, -1, e), -EBADF);
	assert_int_equal(ipfd_install(t, (int)IPFD_MAX_FD, e), -EMFILE);
	assert_false(ipfd_present(t, (int)IPFD_MAX_FD));
	ipfd_put(t, e);
	assert_int_equal(atomic_load(&f.releases), 1);
	table_free(t);
}

static void test_entries_are_recycled(void **state)
{
	struct ipfd_table *t = table_new();
	struct fake_file a = {.id = 1}, b = {.id = 2};
	struct ipfd_entry *e1, *e2;

	(void)state;
	e1 = install_new(t, 3, &a);
	ipfd_remove(t, 3);
	e2 = install_new(t, 3, &b);
	/* Type-stable memory: what lock-free readers rely on. */
	assert_ptr_equal(e1, e2);
	table_free(t);
}

/* ---- concurrency ---- */

#define RACE_FDS 16

struct race {
	struct ipfd_table *t;
	struct fake_file files[RACE_FDS][2];
	atomic_int stop;
	atomic_long lookups;
	atomic_int bad;
};

static void *race_reader(void *arg)
{
	struct race *r = arg;
	unsigned int i = 0;

	while (!atomic_load(&r->stop)) {
		int fd = (int)(i++ % RACE_FDS);
		struct ipfd_entry *e = ipfd_get(r->t, fd);

		if (!e)
			continue;
		/* While we hold a reference the file must be alive and be
		 * one of this fd's files. */
		struct fake_file *f = e->file;

		if (!f || !atomic_load(&f->alive) ||
		    (f != &r->files[fd][0] && f != &r->files[fd][1]))
			atomic_fetch_add(&r->bad, 1);
		atomic_fetch_add(&r->lookups, 1);
		ipfd_put(r->t, e);
	}
	return NULL;
}

static void test_lookup_races_with_install_and_remove(void **state)
{
	struct race *r = calloc(1, sizeof(*r));
	pthread_t readers[3];
	struct timespec start, now;
	unsigned int round = 0;
	int i, fd;

	(void)state;
	r->t = table_new();
	for (i = 0; i < 3; i++)
		assert_int_equal(
			pthread_create(&readers[i], NULL, race_reader, r), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (fd = 0; fd < RACE_FDS; fd++) {
			struct fake_file *f = &r->files[fd][round & 1];

			/* A file is reused only after its release. */
			if (atomic_load(&f->alive))
				continue;
			install_new(r->t, fd, f);
		}
		for (fd = 0; fd < RACE_FDS; fd += 2)
			ipfd_remove(r->t, fd);
		if (round % 7 == 0)
			ipfd_remove_range(r->t, 0, RACE_FDS);
		round++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000000000L +
			 (now.tv_nsec - start.tv_nsec) <
		 300000000L);
	atomic_store(&r->stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(readers[i], NULL);
	if (atomic_load(&r->bad))
		fail_msg("%d lookups saw a released or foreign file "
			 "(expected none)",
			 atomic_load(&r->bad));
	assert_true(atomic_load(&r->lookups) > 0);
	table_free(r->t);
	/* Every installed file was released exactly as often as it was
	 * installed: none is alive after fini. */
	for (fd = 0; fd < RACE_FDS; fd++)
		for (i = 0; i < 2; i++)
			assert_int_equal(atomic_load(&r->files[fd][i].alive),
					 0);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_table_has_no_entries),
		cmocka_unit_test(test_install_then_get_returns_the_file),
		cmocka_unit_test(test_dup_shares_and_last_close_releases),
		cmocka_unit_test(test_install_over_an_entry_drops_it),
		cmocka_unit_test(test_reference_outlives_close),
		cmocka_unit_test(test_close_range_drops_only_its_range),
		cmocka_unit_test(test_range_shared_entry_released_once),
		cmocka_unit_test(test_bad_fds_are_refused),
		cmocka_unit_test(test_entries_are_recycled),
		cmocka_unit_test(test_lookup_races_with_install_and_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
