// SPDX-License-Identifier: MIT
/*
 * png_check FILE.png [X Y]...: prints "<width> <height> <distinct colours>"
 * of an RGB(A) PNG, then the colour of each pixel asked for as "rrggbb",
 * for the capture tests' shell scripts. Exit status 1 if the file cannot
 * be read as a PNG, 2 for bad arguments (a pixel outside the image).
 */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	png_image image;
	unsigned char *rgb;
	uint32_t *colours;
	size_t n, i, distinct = 0;

	if (argc < 2 || argc % 2) {
		fprintf(stderr, "usage: png_check FILE.png [X Y]...\n");
		return 2;
	}
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&image, argv[1])) {
		fprintf(stderr, "png_check: %s: %s\n", argv[1], image.message);
		return 1;
	}
	image.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(image));
	n = (size_t)image.width * image.height;
	colours = malloc(n * sizeof(*colours) + 1);
	if (!rgb || !colours ||
	    !png_image_finish_read(&image, NULL, rgb, 0, NULL)) {
		fprintf(stderr, "png_check: %s: %s\n", argv[1],
			rgb && colours ? image.message : "out of memory");
		return 1;
	}
	for (int a = 2; a + 1 < argc; a += 2) {
		if (strtoul(argv[a], NULL, 10) >= image.width ||
		    strtoul(argv[a + 1], NULL, 10) >= image.height) {
			fprintf(stderr, "png_check: pixel %s,%s is outside\n",
				argv[a], argv[a + 1]);
			return 2;
		}
	}
	printf("%u %u", image.width, image.height);
	for (i = 0; i < n; i++)
		colours[i] = (uint32_t)rgb[i * 3] << 16 |
			     (uint32_t)rgb[i * 3 + 1] << 8 | rgb[i * 3 + 2];
	qsort(colours, n, sizeof(*colours), compare_u32);
	for (i = 0; i < n; i++)
		distinct += !i || colours[i] != colours[i - 1];
	printf(" %zu", distinct);
	for (int a = 2; a + 1 < argc; a += 2) {
		unsigned long x = strtoul(argv[a], NULL, 10);
		unsigned long y = strtoul(argv[a + 1], NULL, 10);
		const unsigned char *p = rgb + (y * image.width + x) * 3;

		printf(" %02x%02x%02x", p[0], p[1], p[2]);
	}
	printf("\n");
	free(colours);
	free(rgb);
	return 0;
}
