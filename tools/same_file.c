/* same_file.c: file identity by device and inode, or by resolved path for a file that is
 * not there yet. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "same_file.h"

int resolve_folder(const char *path, char *buf, size_t n)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
                      path) >= (int)sizeof(dir))
        return 0;
    if (!realpath(dir, real))
        return 0;
    return snprintf(buf, n, "%s/%s", real, slash ? slash + 1 : path) < (int)n;
}

int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea || eb)
        return ea && eb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char ra[PATH_MAX + 256], rb[PATH_MAX + 256];
    return resolve_folder(a, ra, sizeof(ra)) && resolve_folder(b, rb, sizeof(rb)) &&
           !strcmp(ra, rb);
}

int special_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}
