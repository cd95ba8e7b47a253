import { createApp } from 'vue'
import 'tdesign-vue-next/es/style/index.css'
import './style.css'
import App from './App.vue'
import { router } from './router'
import { installTDesign } from './tdesign'
import { loadSession } from '@shared/session'

loadSession()
const app = createApp(App)
installTDesign(app)
app.use(router)
app.mount('#app')
