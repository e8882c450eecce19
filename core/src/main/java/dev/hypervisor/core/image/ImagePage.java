package dev.hypervisor.core.image;

import java.util.List;

/** A page of images and the token of the next page (empty on the last). */
public record ImagePage(List<ImageInfo> images, String nextPageToken) {}
