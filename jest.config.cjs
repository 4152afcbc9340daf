/** Jest runs the TypeScript sources through ts-jest as CommonJS (the package itself ships ESM).
 *  coverageProvider 'v8': the default babel instrumenter rewrites function bodies, which breaks
 *  gpu.js kernels (gpu.js parses the source text of rule functions). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  coverageProvider: 'v8',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          target: 'ES2022',
          esModuleInterop: true,
          isolatedModules: true,
          ignoreDeprecations: '5.0',
        },
        diagnostics: false,
      },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 60000,
}
