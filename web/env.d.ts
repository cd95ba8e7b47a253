/// <reference types="vite/client" />
/// <reference types="tdesign-vue-next/global" />
