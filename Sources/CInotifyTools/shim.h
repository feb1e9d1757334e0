#include <inotifytools/inotifytools.h>
#include <inotifytools/inotify.h>
#include <sys/vfs.h>
