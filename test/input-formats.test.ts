/**
 * Real files as users' phones, cameras and apps make them (test/fixtures, made by real encoders),
 * each through Edit as a form upload: sent as is, or refused before sending with a message that
 * names the format and says how to convert it. The README's input-format table follows this one.
 */
import { NodeOperationError } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

import { FIXTURES, readFixture, readSuiteFile, SUITE_FILES } from './fixtures/index.mjs';
import { edit, useStandIn } from './helpers/stepfun';

const stepfun = useStandIn();

type Row =
	| { sent: { mimeType: string; extension: string } }
	| { refused: string; hint: RegExp };

const JPEG = { sent: { mimeType: 'image/jpeg', extension: 'jpg' } };
const PNG = { sent: { mimeType: 'image/png', extension: 'png' } };
const WEBP = { sent: { mimeType: 'image/webp', extension: 'webp' } };
const CONVERT = /StepFun edits PNG, JPEG and WebP images\. Convert it first, e\.g\. with the Edit Image node \(Options → Format: png or jpeg\)/;
const COMPLETE = /Send a complete PNG, JPEG or WebP image\. Check that the node before this one really outputs the image file/;
const STILL = /StepFun reads one still image\. Send a single frame instead, as PNG, JPEG or WebP/;
const DAMAGED = /Send a complete PNG, JPEG or WebP image\. Download or export it again from where it came from; a file sent by FTP or e-mail must go as binary, not as text\. Check that the node before this one really outputs the image file/;
const ANIMATED_GIF = /StepFun edits PNG, JPEG and WebP images\. StepFun reads one still image: save a single frame as PNG, JPEG or WebP first, e\.g\. with the Edit Image node \(Options → Format: png\)/;
const AVIF = /Convert it to JPEG or PNG before this node/;
const RESIZE = /Scale it down first, e\.g\. with the Edit Image node \(Resize\)/;
const HEIF_GENERAL = /StepFun edits PNG, JPEG and WebP images\. Save or export it as JPEG where it was made \(phones and cameras that write HEIF have a JPEG setting\), or convert it to JPEG before this node/;
const DAMAGE = {
	header: 'its header holds values no PNG can have',
	checksum: 'a checksum inside it does not match, so its data was changed on the way',
	signature: 'its first bytes were changed, as a transfer in text mode does',
};

const rows: Record<string, Row> = {
	'jpeg-baseline.jpg': JPEG,
	'jpeg-progressive.jpg': JPEG,
	'jpeg-cmyk.jpg': JPEG,
	'jpeg-restart-markers.jpg': JPEG,
	'jpeg-exif-orientation-6.jpg': JPEG,
	'jpeg-large-metadata.jpg': JPEG,
	'jpeg-motion-photo.jpg': JPEG,
	'jpeg-mpo.jpg': JPEG,
	'jpeg-padding-after-eoi.jpg': JPEG,
	'jpeg-12-bit.jpg': { refused: '"jpeg-12-bit.jpg" is a 12-bit JPEG', hint: /reads only 8-bit JPEG\. Export it again as an ordinary \(8-bit\) JPEG or as PNG from the program that made it/ },
	'jpeg-truncated.jpg': { refused: '"jpeg-truncated.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'png-rgb.png': PNG,
	'png-rgba.png': PNG,
	'png-grayscale.png': PNG,
	'png-palette.png': PNG,
	'png-16bit.png': PNG,
	'png-interlaced.png': PNG,
	'png-trailing-bytes.png': PNG,
	'png-apng.png': { refused: '"png-apng.png" is an animated PNG (8 frames)', hint: STILL },
	'png-apng-claims-more-frames.png': PNG,
	'png-crlf-transfer.png': { refused: `"png-crlf-transfer.png" is a damaged PNG: ${DAMAGE.signature}`, hint: DAMAGED },
	'png-lf-transfer.png': { refused: `"png-lf-transfer.png" is a damaged PNG: ${DAMAGE.signature}`, hint: DAMAGED },
	'png-colour-type-1.png': { refused: `"png-colour-type-1.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-colour-type-9.png': { refused: `"png-colour-type-9.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-bit-depth-0.png': { refused: `"png-bit-depth-0.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-bit-depth-3.png': { refused: `"png-bit-depth-3.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-bit-depth-99.png': { refused: `"png-bit-depth-99.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-rgb-bit-depth-4.png': { refused: `"png-rgb-bit-depth-4.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-palette-bit-depth-16.png': { refused: `"png-palette-bit-depth-16.png" is a damaged PNG: ${DAMAGE.header}`, hint: DAMAGED },
	'png-bad-crc-ihdr.png': { refused: `"png-bad-crc-ihdr.png" is a damaged PNG: ${DAMAGE.checksum}`, hint: DAMAGED },
	'png-bad-crc-plte.png': { refused: `"png-bad-crc-plte.png" is a damaged PNG: ${DAMAGE.checksum}`, hint: DAMAGED },
	'png-bad-crc-idat.png': { refused: `"png-bad-crc-idat.png" is a damaged PNG: ${DAMAGE.checksum}`, hint: DAMAGED },
	'png-truncated.png': { refused: '"png-truncated.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'webp-lossy.webp': WEBP,
	'webp-lossless.webp': WEBP,
	'webp-alpha.webp': WEBP,
	'webp-lossless-28-bytes.webp': WEBP,
	'webp-animated.webp': { refused: '"webp-animated.webp" is an animated WebP (8 frames)', hint: STILL },
	'gif-static.gif': { refused: '"gif-static.gif" is a GIF image', hint: CONVERT },
	'gif-animated.gif': { refused: '"gif-animated.gif" is an animated GIF (8 frames)', hint: ANIMATED_GIF },
	'heic-photo.heic': { refused: '"heic-photo.heic" is a HEIC image', hint: HEIF_GENERAL },
	'heic-iphone.heic': {
		refused: '"heic-iphone.heic" is a HEIC image',
		hint: /StepFun edits PNG, JPEG and WebP images\. iPhones save HEIC unless Settings → Camera → Formats is set to Most Compatible \(JPEG\)\. Otherwise convert it to JPEG/,
	},
	'heic-android.heic': { refused: '"heic-android.heic" is a HEIC image', hint: HEIF_GENERAL },
	'avif-photo.avif': { refused: '"avif-photo.avif" is an AVIF image', hint: /Convert it to JPEG or PNG before this node/ },
	'tiff-photo.tif': { refused: '"tiff-photo.tif" is a TIFF image', hint: CONVERT },
	'bmp-photo.bmp': { refused: '"bmp-photo.bmp" is a BMP image', hint: CONVERT },
	'svg-drawing.svg': { refused: '"svg-drawing.svg" is an SVG image', hint: /An SVG is a drawing described in text, and StepFun needs pixels: render it to PNG first/ },
	'video.mp4': { refused: '"video.mp4" is an MP4 or MOV video, not an image', hint: COMPLETE },
	'html-error-page.jpg': { refused: '"html-error-page.jpg" is an HTML page, not an image', hint: COMPLETE },
	'empty.jpg': { refused: '"empty.jpg" is empty (0 bytes)', hint: COMPLETE },
};

/**
 * Files from public test suites (test/fixtures/suites.mjs says where each comes from and what
 * real decoders make of it). The README lists them per suite.
 */
const suiteRows: Record<string, Row> = {
	'pngsuite/basn0g01-30.png': PNG,
	'pngsuite/basn0g01.png': PNG,
	'pngsuite/basn0g02-29.png': PNG,
	'pngsuite/basn0g02.png': PNG,
	'pngsuite/basn0g04-31.png': PNG,
	'pngsuite/basn0g04.png': PNG,
	'pngsuite/basn0g08.png': PNG,
	'pngsuite/basn0g16.png': PNG,
	'pngsuite/basn2c08.png': PNG,
	'pngsuite/basn2c16.png': PNG,
	'pngsuite/basn3p01.png': PNG,
	'pngsuite/basn3p02.png': PNG,
	'pngsuite/basn3p04-31i.png': PNG,
	'pngsuite/basn3p04.png': PNG,
	'pngsuite/basn3p08-trns.png': PNG,
	'pngsuite/basn3p08.png': PNG,
	'pngsuite/basn4a08.png': PNG,
	'pngsuite/basn4a16.png': PNG,
	'pngsuite/basn6a08.png': PNG,
	'pngsuite/basn6a16.png': PNG,
	'pngsuite/ftbbn0g01.png': PNG,
	'pngsuite/ftbbn0g02.png': PNG,
	'pngsuite/ftbbn0g04.png': PNG,
	'pngsuite/ftbbn2c16.png': PNG,
	'pngsuite/ftbbn3p08.png': PNG,
	'pngsuite/ftbgn2c16.png': PNG,
	'pngsuite/ftbgn3p08.png': PNG,
	'pngsuite/ftbrn2c08.png': PNG,
	'pngsuite/ftbwn0g16.png': PNG,
	'pngsuite/ftbwn3p08.png': PNG,
	'pngsuite/ftbyn3p08.png': PNG,
	'pngsuite/ftp0n0g08.png': PNG,
	'pngsuite/ftp0n2c08.png': PNG,
	'pngsuite/ftp0n3p08.png': PNG,
	'pngsuite/ftp1n3p08.png': PNG,
	'go-image/invalid-crc32.png': { refused: `"invalid-crc32.png" is a damaged PNG: ${DAMAGE.checksum}`, hint: DAMAGED },
	'go-image/invalid-noend.png': { refused: '"invalid-noend.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'go-image/invalid-palette.png': PNG,
	'go-image/invalid-trunc.png': { refused: '"invalid-trunc.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'go-image/invalid-zlib.png': PNG,
	'go-image/video-001.221212.jpeg': JPEG,
	'go-image/video-001.cmyk.jpeg': JPEG,
	'go-image/video-001.jpeg': JPEG,
	'go-image/video-001.progressive.jpeg': JPEG,
	'go-image/video-001.progressive.truncated.jpeg': JPEG,
	'go-image/video-001.q50.410.jpeg': JPEG,
	'go-image/video-001.q50.410.progressive.jpeg': JPEG,
	'go-image/video-001.q50.411.jpeg': JPEG,
	'go-image/video-001.q50.411.progressive.jpeg': JPEG,
	'go-image/video-001.q50.420.jpeg': JPEG,
	'go-image/video-001.q50.420.progressive.jpeg': JPEG,
	'go-image/video-001.q50.422.jpeg': JPEG,
	'go-image/video-001.q50.422.progressive.jpeg': JPEG,
	'go-image/video-001.q50.440.jpeg': JPEG,
	'go-image/video-001.q50.440.progressive.jpeg': JPEG,
	'go-image/video-001.q50.444.jpeg': JPEG,
	'go-image/video-001.q50.444.progressive.jpeg': JPEG,
	'go-image/video-001.rgb.jpeg': JPEG,
	'go-image/video-001.separate.dc.progression.jpeg': JPEG,
	'go-image/video-001.separate.dc.progression.progressive.jpeg': JPEG,
	'go-image/video-005.gray.jpeg': JPEG,
	'go-image/video-005.gray.q50.2x2.jpeg': JPEG,
	'go-image/video-005.gray.q50.2x2.progressive.jpeg': JPEG,
	'go-image/video-005.gray.q50.jpeg': JPEG,
	'go-image/video-005.gray.q50.progressive.jpeg': JPEG,
	'go-image/triangle-001.gif': { refused: '"triangle-001.gif" is a GIF image', hint: CONVERT },
	'go-image/video-001.5bpp.gif': { refused: '"video-001.5bpp.gif" is a GIF image', hint: CONVERT },
	'go-image/video-001.gif': { refused: '"video-001.gif" is a GIF image', hint: CONVERT },
	'go-image/video-001.interlaced.gif': { refused: '"video-001.interlaced.gif" is a GIF image', hint: CONVERT },
	'go-image/video-005.gray.gif': { refused: '"video-005.gray.gif" is a GIF image', hint: CONVERT },
	'go-x-image/blue-purple-pink-large.lossless.webp': WEBP,
	'go-x-image/blue-purple-pink-large.no-filter.lossy.webp': WEBP,
	'go-x-image/blue-purple-pink-large.normal-filter.lossy.webp': WEBP,
	'go-x-image/blue-purple-pink-large.simple-filter.lossy.webp': WEBP,
	'go-x-image/blue-purple-pink.lossless.webp': WEBP,
	'go-x-image/blue-purple-pink.lossy.webp': WEBP,
	'go-x-image/gopher-doc.1bpp.lossless.webp': WEBP,
	'go-x-image/gopher-doc.2bpp.lossless.webp': WEBP,
	'go-x-image/gopher-doc.4bpp.lossless.webp': WEBP,
	'go-x-image/gopher-doc.8bpp.lossless.webp': WEBP,
	'go-x-image/tux.lossless.webp': WEBP,
	'go-x-image/video-001.lossy.webp': WEBP,
	'go-x-image/yellow_rose.lossless.webp': WEBP,
	'go-x-image/yellow_rose.lossy-with-alpha.webp': WEBP,
	'go-x-image/yellow_rose.lossy.webp': WEBP,
	'go-x-image/colormap.bmp': { refused: '"colormap.bmp" is a BMP image', hint: CONVERT },
	'go-x-image/video-001.bmp': { refused: '"video-001.bmp" is a BMP image', hint: CONVERT },
	'go-x-image/yellow_rose-small-v5.bmp': { refused: '"yellow_rose-small-v5.bmp" is a BMP image', hint: CONVERT },
	'go-x-image/yellow_rose-small.bmp': { refused: '"yellow_rose-small.bmp" is a BMP image', hint: CONVERT },
	'gdk-pixbuf/bug143608-comment.jpg': JPEG,
	'gdk-pixbuf/bug725582-testrotate.jpg': JPEG,
	'gdk-pixbuf/bug775218.jpg': { refused: '"bug775218.jpg" is not an image the node can read: its contents match no image format, whatever its name says', hint: COMPLETE },
	'gdk-pixbuf/issue205.jpg': { refused: 'the image is 64250×64250 pixels; StepFun accepts at most 4096×4096', hint: RESIZE },
	'gdk-pixbuf/premature-end.jpg': { refused: '"premature-end.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'gdk-pixbuf/dpi.jpeg': JPEG,
	'gdk-pixbuf/icc-profile.jpeg': JPEG,
	'gdk-pixbuf/dpi.png': PNG,
	'gdk-pixbuf/icc-profile.png': PNG,
	'gdk-pixbuf/premature-end.png': PNG,
	'gdk-pixbuf/test-image.png': PNG,
	'gdk-pixbuf/aero.gif': { refused: '"aero.gif" is an animated GIF (56 frames)', hint: ANIMATED_GIF },
	'gdk-pixbuf/test-animation.gif': { refused: '"test-animation.gif" is an animated GIF (10 frames)', hint: ANIMATED_GIF },
	'gdk-pixbuf/bug793470-crasher.png': { refused: '"bug793470-crasher.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'gdk-pixbuf/invalid.1.png': { refused: '"invalid.1.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'gdk-pixbuf/invalid.2.png': { refused: `"invalid.2.png" is a damaged PNG: ${DAMAGE.checksum}`, hint: DAMAGED },
	'gdk-pixbuf/invalid.3.png': { refused: '"invalid.3.png" is a damaged or incomplete PNG', hint: COMPLETE },
	'gdk-pixbuf/CVE-2017-2862.jpg': { refused: '"CVE-2017-2862.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'gdk-pixbuf/bug778584.gif': { refused: '"bug778584.gif" is not an image the node can read: its contents match no image format, whatever its name says', hint: COMPLETE },
	'gdk-pixbuf/bug785973.gif': { refused: '"bug785973.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/hang_114.gif': { refused: '"hang_114.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/invalid.1.gif': { refused: '"invalid.1.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/invalid.2.gif': { refused: '"invalid.2.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/invalid.3.gif': { refused: '"invalid.3.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/invalid.4.gif': { refused: '"invalid.4.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gdk-pixbuf/valid.1.jpeg': JPEG,
	'gdk-pixbuf/valid.2.jpeg': JPEG,
	'gdk-pixbuf/bug775697.jpg': { refused: '"bug775697.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'gdk-pixbuf/valid.1.png': PNG,
	'gdk-pixbuf/valid.1.gif': { refused: '"valid.1.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/255-codes.gif': { refused: '"255-codes.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/4095-codes-clear.gif': { refused: '"4095-codes-clear.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/4095-codes.gif': { refused: '"4095-codes.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/all-blues.gif': { refused: '"all-blues.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/all-greens.gif': { refused: '"all-greens.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/all-reds.gif': { refused: '"all-reds.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/animation-multi-image-explicit-zero-delay.gif': { refused: '"animation-multi-image-explicit-zero-delay.gif" is an animated GIF (7 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/animation-multi-image.gif': { refused: '"animation-multi-image.gif" is an animated GIF (7 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/animation-no-delays.gif': { refused: '"animation-no-delays.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/animation-speed.gif': { refused: '"animation-speed.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/animation-zero-delays.gif': { refused: '"animation-zero-delays.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/animation.gif': { refused: '"animation.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/comment.gif': { refused: '"comment.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth1.gif': { refused: '"depth1.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth2.gif': { refused: '"depth2.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth3.gif': { refused: '"depth3.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth4.gif': { refused: '"depth4.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth5.gif': { refused: '"depth5.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth6.gif': { refused: '"depth6.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth7.gif': { refused: '"depth7.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/depth8.gif': { refused: '"depth8.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/disabled-transparent.gif': { refused: '"disabled-transparent.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/dispose-keep.gif': { refused: '"dispose-keep.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/dispose-none.gif': { refused: '"dispose-none.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/dispose-restore-background.gif': { refused: '"dispose-restore-background.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/dispose-restore-previous.gif': { refused: '"dispose-restore-previous.gif" is an animated GIF (5 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/double-clears.gif': { refused: '"double-clears.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/extra-data.gif': { refused: '"extra-data.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/extra-pixels.gif': { refused: '"extra-pixels.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/four-colors.gif': { refused: '"four-colors.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/gif87a-animation.gif': { refused: '"gif87a-animation.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/gif87a.gif': { refused: '"gif87a.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/high-color.gif': { refused: '"high-color.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/icc-color-profile-empty.gif': { refused: '"icc-color-profile-empty.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/icc-color-profile.gif': { refused: '"icc-color-profile.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/image-inside-bg.gif': { refused: '"image-inside-bg.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/image-outside-bg.gif': { refused: '"image-outside-bg.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/image-overlap-bg.gif': { refused: '"image-overlap-bg.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/image-zero-height.gif': { refused: '"image-zero-height.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/image-zero-size.gif': { refused: '"image-zero-size.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/image-zero-width.gif': { refused: '"image-zero-width.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/images-combine.gif': { refused: '"images-combine.gif" is an animated GIF (4 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/images-overlap.gif': { refused: '"images-overlap.gif" is an animated GIF (2 frames)', hint: ANIMATED_GIF },
	'gif-test-suite/interlace.gif': { refused: '"interlace.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-ascii-comment.gif': { refused: '"invalid-ascii-comment.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-background.gif': { refused: '"invalid-background.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-code.gif': { refused: '"invalid-code.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-colors.gif': { refused: '"invalid-colors.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-transparent.gif': { refused: '"invalid-transparent.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/invalid-utf8-comment.gif': { refused: '"invalid-utf8-comment.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/large-codes.gif': { refused: '"large-codes.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/large-comment.gif': { refused: '"large-comment.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/local-color-table.gif': { refused: '"local-color-table.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-animexts.gif': { refused: '"loop-animexts.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-buffer.gif': { refused: '"loop-buffer.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-buffer_max.gif': { refused: '"loop-buffer_max.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-infinite.gif': { refused: '"loop-infinite.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-max.gif': { refused: '"loop-max.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/loop-once.gif': { refused: '"loop-once.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/many-clears.gif': { refused: '"many-clears.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/max-codes.gif': { refused: '"max-codes.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/max-height.gif': { refused: '"max-height.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/max-size.gif': { refused: '"max-size.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/max-width.gif': { refused: '"max-width.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/missing-pixels.gif': { refused: '"missing-pixels.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/no-clear-and-eoi.gif': { refused: '"no-clear-and-eoi.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/no-clear.gif': { refused: '"no-clear.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/no-data.gif': { refused: '"no-data.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/no-eoi.gif': { refused: '"no-eoi.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/no-global-color-table.gif': { refused: '"no-global-color-table.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/nul-application-extension.gif': { refused: '"nul-application-extension.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/nul-comment.gif': { refused: '"nul-comment.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/overflow-codes-max.gif': { refused: '"overflow-codes-max.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/overflow-codes.gif': { refused: '"overflow-codes.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/plain-text.gif': { refused: '"plain-text.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/transparent.gif': { refused: '"transparent.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/unknown-application-extension.gif': { refused: '"unknown-application-extension.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/unknown-extension.gif': { refused: '"unknown-extension.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/xmp-data-empty.gif': { refused: '"xmp-data-empty.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/xmp-data.gif': { refused: '"xmp-data.gif" is a GIF image', hint: CONVERT },
	'gif-test-suite/zero-height.gif': { refused: '"zero-height.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/zero-size.gif': { refused: '"zero-size.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'gif-test-suite/zero-width.gif': { refused: '"zero-width.gif" is a damaged or incomplete GIF', hint: COMPLETE },
	'sdl2-image/sample.avif': { refused: '"sample.avif" is an AVIF image', hint: AVIF },
	'sdl2-image/sample.webp': WEBP,
	'sdl2-image/sample.jpg': JPEG,
	'sdl2-image/sample.png': PNG,
	'sdl2-image/palette.gif': { refused: '"palette.gif" is a GIF image', hint: CONVERT },
	'imaging-orientation/orientation_0.jpg': JPEG,
	'imaging-orientation/orientation_1.jpg': JPEG,
	'imaging-orientation/orientation_2.jpg': JPEG,
	'imaging-orientation/orientation_3.jpg': JPEG,
	'imaging-orientation/orientation_4.jpg': JPEG,
	'imaging-orientation/orientation_5.jpg': JPEG,
	'imaging-orientation/orientation_6.jpg': JPEG,
	'imaging-orientation/orientation_7.jpg': JPEG,
	'imaging-orientation/orientation_8.jpg': JPEG,
	'goexif/sample1.jpg': JPEG,
	'goexif/2004-01-11-22-45-15-sep-2004-01-11-22-45-15a.jpg': { refused: '"2004-01-11-22-45-15-sep-2004-01-11-22-45-15a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2006-08-03-16-29-38-sep-2006-08-03-16-29-38a.jpg': { refused: '"2006-08-03-16-29-38-sep-2006-08-03-16-29-38a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2006-11-11-19-17-56-sep-2006-11-11-19-17-56a.jpg': { refused: '"2006-11-11-19-17-56-sep-2006-11-11-19-17-56a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2006-12-10-23-58-20-sep-2006-12-10-23-58-20a.jpg': { refused: '"2006-12-10-23-58-20-sep-2006-12-10-23-58-20a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2006-12-17-07-09-14-sep-2006-12-17-07-09-14a.jpg': { refused: '"2006-12-17-07-09-14-sep-2006-12-17-07-09-14a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2006-12-21-15-55-26-sep-2006-12-21-15-55-26a.jpg': { refused: '"2006-12-21-15-55-26-sep-2006-12-21-15-55-26a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-01-01-12-00-00-sep-2007-01-01-12-00-00a.jpg': { refused: '"2007-01-01-12-00-00-sep-2007-01-01-12-00-00a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-01-17-21-49-44-sep-2007-01-17-21-49-44a.jpg': { refused: '"2007-01-17-21-49-44-sep-2007-01-17-21-49-44a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-02-02-18-13-29-sep-2007-02-02-18-13-29a.jpg': { refused: '"2007-02-02-18-13-29-sep-2007-02-02-18-13-29a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-05-02-17-02-21-sep-2007-05-02-17-02-21a.jpg': { refused: '"2007-05-02-17-02-21-sep-2007-05-02-17-02-21a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-05-12-08-19-07-sep-2007-05-12-08-19-07a.jpg': { refused: '"2007-05-12-08-19-07-sep-2007-05-12-08-19-07a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-05-26-04-49-45-sep-2007-05-26-04-49-45a.jpg': { refused: '"2007-05-26-04-49-45-sep-2007-05-26-04-49-45a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-05-30-14-28-01-sep-2007-05-30-14-28-01a.jpg': { refused: '"2007-05-30-14-28-01-sep-2007-05-30-14-28-01a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-06-06-16-15-25-sep-2007-06-06-16-15-25a.jpg': { refused: '"2007-06-06-16-15-25-sep-2007-06-06-16-15-25a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-06-26-10-13-04-sep-2007-06-26-10-13-04a.jpg': { refused: '"2007-06-26-10-13-04-sep-2007-06-26-10-13-04a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-07-13-17-02-30-sep-2007-07-13-17-02-30a.jpg': { refused: '"2007-07-13-17-02-30-sep-2007-07-13-17-02-30a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-08-15-14-42-46-sep-2007-08-15-14-42-46a.jpg': { refused: '"2007-08-15-14-42-46-sep-2007-08-15-14-42-46a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-08-24-02-40-42-sep-2007-08-24-02-40-42a.jpg': { refused: '"2007-08-24-02-40-42-sep-2007-08-24-02-40-42a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2007-11-07-11-40-44-sep-2007-11-07-11-40-44a.jpg': { refused: '"2007-11-07-11-40-44-sep-2007-11-07-11-40-44a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2008-06-02-10-03-57-sep-2008-06-02-10-03-57a.jpg': { refused: '"2008-06-02-10-03-57-sep-2008-06-02-10-03-57a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2008-06-06-13-29-29-sep-2008-06-06-13-29-29a.jpg': { refused: '"2008-06-06-13-29-29-sep-2008-06-06-13-29-29a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2008-06-17-01-21-30-sep-2008-06-17-01-21-30a.jpg': { refused: '"2008-06-17-01-21-30-sep-2008-06-17-01-21-30a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2008-09-02-17-43-48-sep-2008-09-02-17-43-48a.jpg': { refused: '"2008-09-02-17-43-48-sep-2008-09-02-17-43-48a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-03-26-09-23-20-sep-2009-03-26-09-23-20a.jpg': { refused: '"2009-03-26-09-23-20-sep-2009-03-26-09-23-20a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-04-11-03-01-38-sep-2009-04-11-03-01-38a.jpg': { refused: '"2009-04-11-03-01-38-sep-2009-04-11-03-01-38a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-04-23-07-21-35-sep-2009-04-23-07-21-35a.jpg': { refused: '"2009-04-23-07-21-35-sep-2009-04-23-07-21-35a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-06-11-19-23-18-sep-2009-06-11-19-23-18a.jpg': { refused: '"2009-06-11-19-23-18-sep-2009-06-11-19-23-18a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-06-20-07-59-05-sep-2009-06-20-07-59-05a.jpg': { refused: '"2009-06-20-07-59-05-sep-2009-06-20-07-59-05a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2009-08-05-08-11-31-sep-2009-08-05-08-11-31a.jpg': { refused: '"2009-08-05-08-11-31-sep-2009-08-05-08-11-31a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2010-06-08-04-44-24-sep-2010-06-08-04-44-24a.jpg': { refused: '"2010-06-08-04-44-24-sep-2010-06-08-04-44-24a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2010-06-20-20-07-39-sep-2010-06-20-20-07-39a.jpg': { refused: '"2010-06-20-20-07-39-sep-2010-06-20-20-07-39a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2010-09-02-08-43-02-sep-2010-09-02-08-43-02a.jpg': { refused: '"2010-09-02-08-43-02-sep-2010-09-02-08-43-02a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-01-24-22-06-02-sep-2011-01-24-22-06-02a.jpg': { refused: '"2011-01-24-22-06-02-sep-2011-01-24-22-06-02a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-03-07-09-28-03-sep-2011-03-07-09-28-03a.jpg': { refused: '"2011-03-07-09-28-03-sep-2011-03-07-09-28-03a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-05-07-13-02-49-sep-2011-05-07-13-02-49a.jpg': { refused: '"2011-05-07-13-02-49-sep-2011-05-07-13-02-49a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-08-07-19-22-57-sep-2011-08-07-19-22-57a.jpg': { refused: '"2011-08-07-19-22-57-sep-2011-08-07-19-22-57a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-10-28-17-50-18-sep-2011-10-28-17-50-18a.jpg': { refused: '"2011-10-28-17-50-18-sep-2011-10-28-17-50-18a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-10-28-18-25-43-sep-2011-10-28-18-25-43.jpg': { refused: '"2011-10-28-18-25-43-sep-2011-10-28-18-25-43.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2011-11-18-15-38-34-sep-Photo11181538.jpg': { refused: '"2011-11-18-15-38-34-sep-Photo11181538.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2012-06-02-10-12-28-sep-2012-06-02-10-12-28.jpg': { refused: '"2012-06-02-10-12-28-sep-2012-06-02-10-12-28.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2012-09-21-22-07-34-sep-2012-09-21-22-07-34.jpg': { refused: '"2012-09-21-22-07-34-sep-2012-09-21-22-07-34.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2012-12-19-21-38-40-sep-temple_square1.jpg': { refused: '"2012-12-19-21-38-40-sep-temple_square1.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2012-12-21-11-15-19-sep-IMG_0001.jpg': { refused: '"2012-12-21-11-15-19-sep-IMG_0001.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2013-02-05-23-12-09-sep-DSCI0001.jpg': { refused: '"2013-02-05-23-12-09-sep-DSCI0001.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2099-08-12-19-59-29-sep-2099-08-12-19-59-29a.jpg': { refused: '"2099-08-12-19-59-29-sep-2099-08-12-19-59-29a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/2216-11-15-11-46-51-sep-2216-11-15-11-46-51a.jpg': { refused: '"2216-11-15-11-46-51-sep-2216-11-15-11-46-51a.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/FailedHash-NoDate-sep-remembory.jpg': { refused: '"FailedHash-NoDate-sep-remembory.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/f1-exif.jpg': JPEG,
	'goexif/f2-exif.jpg': JPEG,
	'goexif/f3-exif.jpg': JPEG,
	'goexif/f4-exif.jpg': JPEG,
	'goexif/f5-exif.jpg': JPEG,
	'goexif/f6-exif.jpg': JPEG,
	'goexif/f7-exif.jpg': JPEG,
	'goexif/f8-exif.jpg': JPEG,
	'goexif/geodegrees_as_string.jpg': JPEG,
	'goexif/has-lens-info.jpg': JPEG,
	'goexif/huge_tag_exif.jpg': { refused: '"huge_tag_exif.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'goexif/infinite_loop_exif.jpg': JPEG,
	'goexif/max_uint32_exif.jpg': { refused: '"max_uint32_exif.jpg" is a damaged or incomplete JPEG', hint: COMPLETE },
	'gowebp/invalid.webp': { refused: '"invalid.webp" is empty (0 bytes)', hint: COMPLETE },
	'gowebp/bw-gopher-bw.webp': WEBP,
	'gowebp/fuzzy-cirlcle-transparent-32.webp': WEBP,
	'gowebp/source-lossless.webp': WEBP,
	'gowebp/sunset-lossy.webp': WEBP,
};

/** How a browser labels an upload: by the file name's extension. */
function browserMimeType(name: string): string {
	const extension = name.split('.').pop() ?? '';
	const types: Record<string, string> = { jpeg: 'image/jpeg', jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', heic: 'image/heic', avif: 'image/avif', tif: 'image/tiff', bmp: 'image/bmp', svg: 'image/svg+xml', mp4: 'video/mp4' };
	return types[extension] ?? 'application/octet-stream';
}

/**
 * Uploads `bytes` as `fileName` to Edit: sent as is (every byte, the data after the image
 * included), the output reporting the returned image's real size (StepFun edits at the stored
 * size); or refused as the row says, nothing sent.
 */
async function expectThroughEdit(bytes: Buffer, fileName: string, row: Row, size: { width?: number; height?: number }, hint = 'hint' in row ? row.hint : undefined): Promise<void> {
	const { items, error, standIn } = await stepfun.run(edit('Add a red umbrella'), {
		items: [{ binary: { data: { bytes, fileName, mimeType: browserMimeType(fileName) } } }],
	});
	if ('sent' in row) {
		expect(error).toBeUndefined();
		const image = standIn.requests[0].image!;
		expect(image.bytes.equals(bytes)).toBe(true);
		expect(image.mimeType).toBe(row.sent.mimeType);
		expect(image.fileName).toBe(fileName);
		expect(items[0].json).toMatchObject({ width: size.width, height: size.height, inputFileName: fileName });
	} else {
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error?.message).toBe(`Input Binary Field "data": ${row.refused} (item 0)`);
		expect((error as NodeOperationError).description).toMatch(hint!);
		expect(standIn.requests).toEqual([]);
	}
}

describe('input files from real encoders, through Edit', () => {
	it('the table has one row per file of the corpus', () => {
		expect(Object.keys(rows).sort()).toEqual(FIXTURES.map((file) => file.name).sort());
	});

	it.each(FIXTURES.map((file) => [file.name, file] as const))('%s', async (name, file) => {
		await expectThroughEdit(readFixture(name), name, rows[name], file);
	});
});

describe('files in a format the node refuses, cut short, through Edit', () => {
	// Refused by name with how to convert them, as when whole: converting is what the user must do
	// either way, and "damaged" would send them to fetch the same refused file again.
	const named = FIXTURES.filter((file) => file.complete && !['png', 'jpeg', 'webp', 'gif'].includes(file.format!));

	it.each(named.map((file) => [file.name, file] as const))('%s cut in half', async (name, file) => {
		const whole = readFixture(name);
		const row = rows[name];
		expect(row).toHaveProperty('refused');
		// The iPhone's EXIF is at the end of this file: cut away, the advice is the general one.
		const hint = name === 'heic-iphone.heic' ? HEIF_GENERAL : undefined;
		await expectThroughEdit(whole.subarray(0, Math.floor(whole.length / 2)), name, row, file, hint);
	});
});

describe('input files from public test suites, through Edit', () => {
	it('the table has one row per file of the suites', () => {
		expect(Object.keys(suiteRows).sort()).toEqual(SUITE_FILES.map((file) => file.name).sort());
	});

	it.each(SUITE_FILES.map((file) => [file.name, file] as const))('%s', async (name, file) => {
		await expectThroughEdit(readSuiteFile(name), name.split('/').pop()!, suiteRows[name], file);
	});
});

