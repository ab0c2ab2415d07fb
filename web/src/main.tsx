import '@mantine/core/styles.css';
import { DEFAULT_THEME, MantineProvider, Modal, NavLink, createTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';

// Mantine's default shades are too light for text on white (WCAG AA asks 4.5:1): shade 9 is used
// for colored text and filled buttons, orange and teal get a darker 9 for their light badges, and
// "dimmed" text is gray 7 instead of gray 6 (3.3:1). axe checks this in the browser tests.
const darkest = (name: 'orange' | 'teal', shade9: string) => [...DEFAULT_THEME.colors[name].slice(0, 9), shade9] as unknown as MantineColorsTuple;
const resolver: CSSVariablesResolver = () => ({ variables: {}, light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' }, dark: {} });

const theme = createTheme({
  primaryColor: 'indigo',
  primaryShade: { light: 9, dark: 8 },
  components: {
    // A dialog's close button is an icon: screen readers need its name.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close dialog' } } }),
    // The current page in the navigation: white on indigo 9; the light variant fell below 4.5:1 when hovered.
    NavLink: NavLink.extend({ defaultProps: { variant: 'filled' } }),
  },
  colors: { orange: darkest('orange', '#a3360a'), teal: darkest('teal', '#066649') },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
  defaultRadius: 'md',
  // People who ask their system for less motion get no transitions (and tests get stable frames).
  respectReducedMotion: true,
});

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <MantineProvider theme={theme} defaultColorScheme="light" cssVariablesResolver={resolver}>
        <App />
      </MantineProvider>
    </StrictMode>,
  );
}
