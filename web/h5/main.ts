/**
 * The phone pages under /h5/ (tdesign-mobile-vue). Today a placeholder; a
 * later issue adds the approvers' pages (SPEC §8.5) and the public licence
 * verification page /h5/verify/:identifier (SPEC §9.4).
 */
import { createApp } from 'vue'
import { createRouter, createWebHistory } from 'vue-router'
import 'tdesign-mobile-vue/es/style/index.css'
import './style.css'
import App from './App.vue'
import HomePage from './pages/HomePage.vue'

const router = createRouter({
  history: createWebHistory('/h5/'),
  routes: [
    { path: '/', name: 'home', component: HomePage },
    { path: '/:pathMatch(.*)*', redirect: '/' },
  ],
})

createApp(App).use(router).mount('#app')
