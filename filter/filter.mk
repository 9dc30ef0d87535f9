# filter.mk: the srresnet FFmpeg filter; included by the Makefile. See filter/README.md.
#   make ffmpeg        $(B)/ffmpeg/ffmpeg: Debian's FFmpeg 5.1, lean, with the filter
#   make check-filter  tests/test_filter.sh against that binary (part of make check)

# The script keeps its own caches and knows what changed, so make always asks it; + hands it
# make's job slots for FFmpeg's own make.
ffmpeg: $(LIB)
	+B=$(B) filter/build_ffmpeg.sh

check-filter: ffmpeg $(B)/srres-video
	B=$(B) tests/test_filter.sh

CHECK_TARGETS += check-filter

.PHONY: ffmpeg check-filter
