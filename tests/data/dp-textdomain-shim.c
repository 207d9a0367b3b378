/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Preloaded into an installed binary by check-install.py. The binaries
 * bind their text domain to the LOCALEDIR of the configured prefix,
 * but the test installs with --destdir into a temporary folder, so the
 * catalogues are not where the binary looks. This redirects the one
 * domain named by DP_TEST_TEXTDOMAIN to DP_TEST_LOCALEDIR and leaves
 * every other call alone: the binary itself runs unchanged. */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <libintl.h>
#include <stdlib.h>
#include <string.h>

typedef char *(*BindTextDomainFunc) (const char *domainname,
                                     const char *dirname);

char *
bindtextdomain (const char *domainname,
                const char *dirname)
{
  static BindTextDomainFunc real_bindtextdomain;
  const char *domain = getenv ("DP_TEST_TEXTDOMAIN");
  const char *localedir = getenv ("DP_TEST_LOCALEDIR");

  if (real_bindtextdomain == NULL)
    {
      /* dlsym() returns an object pointer; POSIX guarantees that it
       * converts to a function pointer. */
      void *symbol = dlsym (RTLD_NEXT, "bindtextdomain");

      memcpy (&real_bindtextdomain, &symbol, sizeof symbol);
      if (real_bindtextdomain == NULL)
        abort ();
    }

  if (domainname != NULL && dirname != NULL && domain != NULL &&
      localedir != NULL && strcmp (domainname, domain) == 0)
    dirname = localedir;

  return real_bindtextdomain (domainname, dirname);
}
