import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.tsx';
import './styles/app.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks <div id="root">');

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
