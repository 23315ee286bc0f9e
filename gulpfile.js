const path = require('path');
const { task, src, dest, parallel } = require('gulp');

// gulp 5 decodes files as UTF-8 unless told otherwise; PNGs must stay binary.
const srcOptions = { encoding: false, allowEmpty: true };

function copyIcons() {
	return src('icons/**/*.{png,svg}', srcOptions).pipe(dest(path.resolve('dist', 'icons')));
}

function copyNodeIcons() {
	return src('nodes/**/*.{png,svg}', srcOptions).pipe(dest(path.resolve('dist', 'nodes')));
}

function copyCredentialIcons() {
	return src('credentials/**/*.{png,svg}', srcOptions).pipe(
		dest(path.resolve('dist', 'credentials')),
	);
}

task('build:icons', parallel(copyIcons, copyNodeIcons, copyCredentialIcons));
