import { spawn } from 'node:child_process'
import net from 'node:net'

/**
 * A port on 127.0.0.1 where a TCP connect never completes, as at 169.254.169.254 on a machine
 * that is not on Azure (the SYN goes unanswered). A child process listens with a backlog of one
 * and is then stopped, so it accepts nothing; once two connections fill its accept queue, the
 * kernel drops further SYNs and a new connect hangs. Loopback only. Linux and macOS (SIGSTOP).
 */
export async function startBlackHole(): Promise<{ port: number; close(): void }> {
  const child = spawn(
    process.execPath,
    ['-e', "const s=require('net').createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))"],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  const port = await new Promise<number>(resolve => child.stdout.once('data', data => resolve(Number(String(data).trim()))))
  child.kill('SIGSTOP')
  const fillers: net.Socket[] = []
  for (let i = 0; i < 3; i++) {
    const socket = net.connect(port, '127.0.0.1')
    socket.on('error', () => {})
    fillers.push(socket)
  }
  await new Promise(resolve => setTimeout(resolve, 100))
  return {
    port,
    close() {
      for (const socket of fillers) socket.destroy()
      child.kill('SIGKILL')
    }
  }
}
