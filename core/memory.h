/* memory.h: the large float buffers of the library. */
#ifndef SRRES_MEMORY_H
#define SRRES_MEMORY_H

#include <stddef.h>

/* n zeroed floats on a 64-byte boundary (kernels load whole cache lines as vectors); NULL
 * when out of memory. Release with free(). */
float *alloc_floats(size_t n);

/* The floats alloc_floats(n) takes (whole huge pages for large buffers), for budgets. A
 * double, so that sizes no memory holds compare rather than wrap; NULL-returning sizes
 * included. */
double alloc_floats_taken(double n);

#endif
