/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "dp-metalink.h"

G_BEGIN_DECLS

/*
 * Metalink files the user opens (a .meta4 or .metalink file on disk),
 * and how a file they describe is kept in the saved list.
 */

void            dp_app_metalink_load_async            (GFile                *file,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
GPtrArray      *dp_app_metalink_load_finish           (GAsyncResult         *result,
                                                       GError              **error);

char           *dp_app_metalink_file_dup_name         (const DpMetalinkFile *file);
GVariant       *dp_app_metalink_file_serialize        (const DpMetalinkFile *file);
DpMetalinkFile *dp_app_metalink_file_new_from_variant (GVariant             *dict);

G_END_DECLS
