// Package waitfor is the storage tests' one way to wait: poll a condition until it holds or a
// deadline passes, instead of sleeping for a guessed time.
package waitfor
