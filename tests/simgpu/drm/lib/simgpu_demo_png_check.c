// SPDX-License-Identifier: MIT
/*
 * simgpu_demo_png_check FILE.png [WIDTH HEIGHT]: checks that the capture
 * of simgpu-demo's display is the Mandelbrot picture the demo asked the
 * GPU for, pixel for pixel against simgpu_kernel_mandelbrot_cpu() with
 * the demo's own view (simgpu_demo_view.h), at the expected size (default
 * 1024x768, vkms's preferred mode). Prints what differs; exit status 0
 * when the picture is exact, 1 otherwise.
 */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/simgpu_cs.h"
#include "simgpu_demo_view.h"

int main(int argc, char **argv)
{
	uint32_t want_w = 1024, want_h = 768, *ref;
	struct simgpu_demo_view v;
	size_t x, y, bad = 0, changes = 0;
	png_image image;
	unsigned char *rgb;

	if (argc != 2 && argc != 4) {
		fprintf(stderr, "usage: simgpu_demo_png_check FILE.png [WIDTH "
				"HEIGHT]\n");
		return 2;
	}
	if (argc == 4) {
		want_w = (uint32_t)strtoul(argv[2], NULL, 10);
		want_h = (uint32_t)strtoul(argv[3], NULL, 10);
	}
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&image, argv[1])) {
		fprintf(stderr, "FAIL: %s: %s\n", argv[1], image.message);
		return 1;
	}
	if (image.width != want_w || image.height != want_h) {
		fprintf(stderr, "FAIL: %s is %ux%u, expected %ux%u\n", argv[1],
			image.width, image.height, want_w, want_h);
		png_image_free(&image);
		return 1;
	}
	image.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(image));
	ref = malloc((size_t)want_w * want_h * 4);
	if (!rgb || !ref ||
	    !png_image_finish_read(&image, NULL, rgb, 0, NULL)) {
		fprintf(stderr, "FAIL: %s: cannot read the pixels\n", argv[1]);
		return 1;
	}
	v = simgpu_demo_view(want_w, want_h);
	simgpu_kernel_mandelbrot_cpu(ref, want_w, want_h, want_w * 4,
				     v.max_iter, v.x0, v.y0, v.step);
	for (y = 0; y < want_h; y++) {
		for (x = 0; x < want_w; x++) {
			const unsigned char *p = rgb + (y * want_w + x) * 3;
			uint32_t got = (uint32_t)p[0] << 16 |
				       (uint32_t)p[1] << 8 | p[2];
			uint32_t exp = ref[y * want_w + x] & 0xffffff;

			if (x && exp != (ref[y * want_w + x - 1] & 0xffffff))
				changes++;
			if (got == exp)
				continue;
			if (bad++ < 5)
				fprintf(stderr,
					"FAIL: pixel (%zu, %zu) is %06x, the "
					"CPU Mandelbrot gives %06x\n",
					x, y, got, exp);
		}
	}
	free(ref);
	free(rgb);
	if (bad) {
		fprintf(stderr, "FAIL: %zu of %u pixels differ\n", bad,
			want_w * want_h);
		return 1;
	}
	if (changes < 1000) {
		fprintf(stderr, "FAIL: the picture is nearly uniform\n");
		return 1;
	}
	printf("%ux%u: every pixel matches the CPU Mandelbrot\n", want_w,
	       want_h);
	return 0;
}
