/* config.c -- being written; see config.h */
