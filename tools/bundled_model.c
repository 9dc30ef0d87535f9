/* bundled_model.c: the bundled models' folders and their names (see bundled_model.h). */
#include "bundled_model.h"

#include <glob.h>
#include <libavutil/avstring.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#ifndef SRRES_DATADIR
#define SRRES_DATADIR "/usr/local/share/srres"
#endif

/* The folders to look in, best first: the build tree's samples/ where the program runs from
 * the tree's build folder, known by the source beside it (an installed program in PREFIX/bin
 * took a stray PREFIX/samples, a home folder's ~/samples, over PREFIX/share/srres), then the
 * installed one. A build's program takes its own tree's models, not those an earlier install
 * left. */
static int model_dirs(char dirs[2][PATH_MAX])
{
    int count = 0;
    char exe[PATH_MAX], source[PATH_MAX + 16];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    char *slash = len > 0 ? (exe[len] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        snprintf(source, sizeof(source), "%s/../core/srres.h", exe);
        int in_tree = access(source, R_OK) == 0;
        snprintf(source, sizeof(source), "%s/../samples", exe);
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

/* A model file's name without its folder and ".safetensors", and that stem's length. */
static const char *stem(const char *path, int *len)
{
    const char *base = av_basename(path);
    *len = (int)(strlen(base) - strlen(".safetensors"));
    return base;
}

/* By stem, so that x2 sorts before x2-fast (by file name, '.' sorts after '-'). */
static int by_stem(const void *a, const void *b)
{
    int la, lb;
    const char *sa = stem(*(char *const *)a, &la), *sb = stem(*(char *const *)b, &lb);
    int c = strncmp(sa, sb, (size_t)(la < lb ? la : lb));
    return c ? c : la - lb;
}

/* "x2, x2-fast, x4, x4-fast", the bundled models in dir, in buf ("none" if there are none). */
static const char *model_names(char *buf, size_t n, const char *dir)
{
    char pattern[PATH_MAX + 16];
    glob_t g;
    size_t used = 0;
    snprintf(pattern, sizeof(pattern), "%s/*.safetensors", dir);
    snprintf(buf, n, "none");
    if (glob(pattern, 0, NULL, &g) == 0) {
        qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), by_stem);
        for (size_t i = 0; i < g.gl_pathc && used < n; i++) {
            int len;
            const char *name = stem(g.gl_pathv[i], &len);
            used += (size_t)snprintf(buf + used, n - used, "%s%.*s", i ? ", " : "", len, name);
        }
        globfree(&g);
    }
    return buf;
}

const char *bundled_model_lookup(char *buf, size_t n, const char *opt, const char *value,
                                 char *err, size_t errlen)
{
    struct stat st;
    cli_file(opt, value);
    /* A folder is no model: one named x2 (of outputs, say) does not hide the bundled x2. */
    if ((stat(value, &st) == 0 && !S_ISDIR(st.st_mode)) || strpbrk(value, "/.")) {
        snprintf(buf, n, "%s", value);
        return buf;
    }
    char dir[PATH_MAX], names[512];
    if (bundled_model(buf, n, dir, value))
        return buf;
    snprintf(err, errlen, "%s %s: no such file, nor a bundled model of that name (%s in %s)", opt,
             value, model_names(names, sizeof(names), dir), dir);
    return NULL;
}

const char *bundled_model_resolve(char *buf, size_t n, const char *opt, const char *value)
{
    char err[PATH_MAX + 768];
    if (!bundled_model_lookup(buf, n, opt, value, err, sizeof(err)))
        cli_die("%s", err);
    return buf;
}
