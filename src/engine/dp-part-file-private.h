/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "dp-part-file.h"

G_BEGIN_DECLS

/*
 * Test seams: a disk that loses a writeback is hard to come by in a test,
 * so the next sync can be told to fail as if it had.
 */

/* The next dp_part_file_sync() or dp_part_file_commit() of @self fails
 * as if fsync() had returned @errno_for_next_sync. */
void dp_part_file_set_fault_for_testing           (DpPartFile *self,
                                                   int         errno_for_next_sync);

/* The same for the first sync of the next file dp_part_file_open()
 * opens, in any thread: for whole downloads. 0 clears it. */
void dp_part_file_set_next_open_fault_for_testing (int         errno_for_first_sync);

G_END_DECLS
