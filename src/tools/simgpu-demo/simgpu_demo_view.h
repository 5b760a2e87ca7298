/* SPDX-License-Identifier: MIT */
/*
 * The part of the complex plane simgpu-demo shows, as a function of the
 * picture's size: shared with the test that checks its picture pixel for
 * pixel against simgpu_kernel_mandelbrot_cpu().
 */
#ifndef SIMGPU_DEMO_VIEW_H
#define SIMGPU_DEMO_VIEW_H

#include <stdint.h>

struct simgpu_demo_view {
	float x0, y0; /* the complex plane at pixel (0, 0) */
	float step;   /* per pixel */
	uint32_t max_iter;
};

/* The whole set, centred at -0.65 + 0i, 3.0 wide or 2.4 high, whichever
 * fills the picture. */
static inline struct simgpu_demo_view simgpu_demo_view(uint32_t width,
						       uint32_t height)
{
	const float cx = -0.65f, cy = 0.0f;
	float sx = 3.0f / (float)width, sy = 2.4f / (float)height;
	struct simgpu_demo_view v;

	v.step = sx > sy ? sx : sy;
	v.x0 = cx - v.step * (float)width / 2.0f;
	v.y0 = cy - v.step * (float)height / 2.0f;
	v.max_iter = 256;
	return v;
}

#endif
