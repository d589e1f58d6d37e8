package chipimage

import "bytes"

// EncodeUnchecked encodes an image without validating it, with correct checksums:
// the tests use it to hand the reader files whose only fault is their content.
func EncodeUnchecked(img *Image) []byte {
	var b bytes.Buffer
	if _, err := img.write(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}
