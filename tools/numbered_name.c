/* numbered_name.c: the files of a numbered name, found by the muxer's own expansion. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/avstring.h>

#include "numbered_name.h"
#include "same_file.h"

/* A numbered name cut where its number goes, its folder resolved: "/abs/up/f" and ".png"
 * for up/f%04d.png, and that folder, to list. */
typedef struct numbered_parts {
    char head[PATH_MAX + 256], suffix[PATH_MAX], dir[PATH_MAX + 256];
} numbered_parts;

static int numbered_split(const char *pattern, numbered_parts *p)
{
    /* The muxer's own expansion with a number no name holds, found again in the result. */
    static const char mark[] = "987654321";
    char name[PATH_MAX];
    if (av_get_frame_filename(name, sizeof(name), pattern, 987654321) < 0)
        return -1;
    char *at = strstr(name, mark);
    if (!at)
        return -1;
    snprintf(p->suffix, sizeof(p->suffix), "%s", at + strlen(mark));
    *at = '\0';
    if (!resolve_folder(name, p->head, sizeof(p->head)))
        return -1;
    const char *slash = strrchr(p->head, '/'); /* there is one: the folder is absolute */
    snprintf(p->dir, sizeof(p->dir), "%.*s", slash == p->head ? 1 : (int)(slash - p->head),
             p->head);
    return 0;
}

/* Whether a path with its folder resolved is one of the names: head, digits, suffix. */
static int numbered_matches(const numbered_parts *p, const char *path)
{
    size_t n = strlen(path), nh = strlen(p->head), ns = strlen(p->suffix);
    if (n <= nh + ns || strncmp(path, p->head, nh) || strcmp(path + n - ns, p->suffix))
        return 0;
    for (size_t i = nh; i < n - ns; i++)
        if (path[i] < '0' || path[i] > '9')
            return 0;
    return 1;
}

long numbered_others(const char *pattern, int64_t lo, int64_t hi, int exact, char *found,
                     size_t size)
{
    numbered_parts p;
    char folder[PATH_MAX], name[PATH_MAX];
    if (numbered_split(pattern, &p) < 0 ||
        av_get_frame_filename(folder, sizeof(folder), pattern, 0) < 0)
        return 0;
    /* the folder as the pattern writes it, which the user knows it by */
    folder[av_basename(folder) - folder] = '\0';
    DIR *d = opendir(p.dir);
    struct dirent *e;
    char path[sizeof(p.dir) + 256];
    long count = 0;
    int64_t lowest = 0;
    while (d && (e = readdir(d))) {
        snprintf(path, sizeof(path), "%s/%s", p.dir, e->d_name);
        if (!numbered_matches(&p, path))
            continue;
        size_t digits = strlen(path) - strlen(p.head) - strlen(p.suffix);
        /* more digits than an int64 holds: a number past any the pattern gives */
        int64_t number = digits > 18 ? INT64_MAX : strtoll(path + strlen(p.head), NULL, 10);
        const char *base = av_basename(path);
        /* the name the pattern gives its number, as the muxer writes it (0004.png, not 04.png) */
        int own = number <= INT_MAX &&
                  av_get_frame_filename(name, sizeof(name), pattern, (int)number) >= 0 &&
                  !strcmp(av_basename(name), base);
        if ((own && number >= lo && number <= hi) || (exact && !own))
            continue;
        snprintf(name, sizeof(name), "%s%s", folder, base);
        if (!count || number < lowest || (number == lowest && strcmp(name, found) < 0)) {
            lowest = number;
            snprintf(found, size, "%s", name);
        }
        count++;
    }
    if (d)
        closedir(d);
    return count;
}

int numbered_existing(const char *pattern, char *found, size_t size)
{
    return numbered_others(pattern, 1, 0, 0, found, size) > 0;
}

int numbered_includes(const char *pattern, const char *path)
{
    numbered_parts p;
    char resolved[PATH_MAX + 256];
    return numbered_split(pattern, &p) == 0 && resolve_folder(path, resolved, sizeof(resolved)) &&
           numbered_matches(&p, resolved);
}
