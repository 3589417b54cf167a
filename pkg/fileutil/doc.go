// Package fileutil holds the crash-safe file operations the storage path shares: replacing a file
// so that a crash leaves either the old or the new content (temp file → fsync → rename → fsync the
// directory), and fsyncing a directory so that creations, renames and removals in it last.
package fileutil
