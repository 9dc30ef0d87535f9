/* bundled_model.c: the bundled models' folders and their names (see bundled_model.h). */
#include "bundled_model.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "srres.h"

#ifndef SRRES_DATADIR
#define SRRES_DATADIR "/usr/local/share/srres"
#endif

/* Whether the two names are one folder. */
static int same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The folders to look in, best first: the build tree's samples/ where the program runs from
 * the tree's build folder (build/, B=other/) or one inside build/ (build/san/ of the
 * sanitized build, which found none), known by the source beside it (an installed program in
 * PREFIX/bin took a stray PREFIX/samples, a home folder's ~/samples, over PREFIX/share/srres),
 * then the installed one. A build's program takes its own tree's models, not those an
 * earlier install left. */
static int model_dirs(char dirs[2][PATH_MAX])
{
    int count = 0;
    char exe[PATH_MAX], source[PATH_MAX + 32], build[PATH_MAX + 32];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = len > 0 ? (exe[len] = 0, strrchr(exe, '/')) : NULL;
    if (slash)
        *slash = 0;
    static const char *const up[] = {"..", "../.."};
    for (size_t i = 0; slash && !count && i < sizeof(up) / sizeof(up[0]); i++) {
        snprintf(source, sizeof(source), "%s/%s/core/srres.h", exe, up[i]);
        int in_tree = access(source, R_OK) == 0;
        /* Two up only from inside the tree's build/: not from PREFIX/bin of an install into
         * the tree (--prefix=TREE/local). */
        snprintf(source, sizeof(source), "%s/..", exe);
        snprintf(build, sizeof(build), "%s/../../build", exe);
        if (i == 1 && !same_folder(source, build))
            in_tree = 0;
        snprintf(source, sizeof(source), "%s/%s/samples", exe, up[i]);
        if (in_tree && realpath(source, dirs[count]))
            count++;
    }
    snprintf(dirs[count++], PATH_MAX, "%s", SRRES_DATADIR);
    return count;
}

const char *bundled_model(char *buf, size_t n, char *dir, const char *name)
{
    char dirs[2][PATH_MAX];
    int count = model_dirs(dirs);
    for (int i = 0; i < count; i++) {
        snprintf(buf, n, "%s/%s.safetensors", dirs[i], name);
        if (access(buf, R_OK) == 0) {
            memcpy(dir, dirs[i], PATH_MAX);
            return buf;
        }
    }
    memcpy(dir, dirs[0], PATH_MAX);
    return NULL;
}

const char *bundled_model_lookup(char *buf, size_t n, const char *opt, const char *value,
                                 char *err, size_t errlen)
{
    char dirs[2][PATH_MAX];
    const char *names[2] = {dirs[0], dirs[1]};
    srres_error e;
    cli_file(opt, value);
    if (srres_model_find(value, names, model_dirs(dirs), buf, n, &e) == SRRES_OK)
        return buf;
    snprintf(err, errlen, "%s %s", opt, e.message);
    return NULL;
}

const char *bundled_model_resolve(char *buf, size_t n, const char *opt, const char *value)
{
    char err[PATH_MAX + 768];
    if (!bundled_model_lookup(buf, n, opt, value, err, sizeof(err)))
        cli_die("%s", err);
    return buf;
}
