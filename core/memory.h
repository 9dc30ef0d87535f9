/* memory.h: the large float buffers of the library. */
#ifndef SRRES_MEMORY_H
#define SRRES_MEMORY_H

#include <stddef.h>

/* n zeroed floats on a 64-byte boundary (kernels load whole cache lines as vectors); NULL
 * when out of memory. Release with free(). */
float *alloc_floats(size_t n);

#endif
