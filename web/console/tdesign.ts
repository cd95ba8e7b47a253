/**
 * The TDesign components the console uses, registered one by one so the
 * bundle carries only these (and their CSS). tests/tdesign-usage.test.ts
 * fails when a template uses a `<t-…>` tag that is not listed here.
 */
import type { App, Plugin } from 'vue'
import {
  Alert,
  Aside,
  Button,
  Card,
  Checkbox,
  Content,
  DateRangePicker,
  Descriptions,
  DescriptionsItem,
  Dialog,
  Drawer,
  Form,
  FormItem,
  Header,
  Input,
  Layout,
  Link,
  Loading,
  Menu,
  MenuItem,
  Option,
  RadioButton,
  RadioGroup,
  Select,
  Space,
  Table,
  Tag,
  Textarea,
  Tooltip,
} from 'tdesign-vue-next'

export const COMPONENTS: Record<string, Plugin> = {
  Alert,
  Aside,
  Button,
  Card,
  Checkbox,
  Content,
  DateRangePicker,
  Descriptions,
  DescriptionsItem,
  Dialog,
  Drawer,
  Form,
  FormItem,
  Header,
  Input,
  Layout,
  Link,
  Loading,
  Menu,
  MenuItem,
  Option,
  RadioButton,
  RadioGroup,
  Select,
  Space,
  Table,
  Tag,
  Textarea,
  Tooltip,
}

export function installTDesign(app: App): void {
  for (const c of Object.values(COMPONENTS)) app.use(c)
}
