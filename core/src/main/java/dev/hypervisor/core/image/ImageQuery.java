package dev.hypervisor.core.image;

/** ListImages filters and paging; a null kind and an empty text match everything. */
public record ImageQuery(ImageInfo.Kind kind, String referenceContains, int pageSize, String pageToken) {}
